//! Waivers of `tierkey.toml` applied to a run's findings: an active waiver
//! marks the findings it matches as suppressed (they stay in every report
//! but never fail the run); an expired waiver no longer suppresses and is
//! reported as `waiver-expired`; a waiver that matches nothing is reported
//! as `waiver-unused`, both at their place in the settings file.

use crate::finding::{Code, Finding, Label, Suppression};
use crate::outcome::Outcome;
use crate::settings::{Settings, Waiver};
use crate::source::Span;

/// Applies the waivers of `settings` as of `today` (`YYYY-MM-DD`).
pub(crate) fn apply(settings: &Settings, today: &str, outcome: &mut Outcome) {
    if settings.waivers.is_empty() {
        return;
    }
    let file = outcome
        .sources
        .add(settings.path.display().to_string(), settings.text.clone());
    let mut matched = vec![0usize; settings.waivers.len()];
    for finding in &mut outcome.findings {
        for (i, waiver) in settings.waivers.iter().enumerate() {
            if !applies(waiver, finding) {
                continue;
            }
            matched[i] += 1;
            let expired = waiver.expires.as_deref().is_some_and(|e| e < today);
            if !expired && finding.waiver.is_none() {
                finding.waiver = Some(Box::new(Suppression {
                    reason: waiver.reason.clone(),
                    expires: waiver.expires.clone(),
                }));
            }
        }
    }
    for (waiver, &count) in settings.waivers.iter().zip(&matched) {
        let expired = waiver.expires.as_deref().filter(|e| *e < today);
        let (code, message, help) = match (expired, count) {
            (Some(date), 0) => (
                Code::WaiverExpired,
                format!(
                    "the waiver for {} expired on {date}, and it matches no finding",
                    describe(waiver)
                ),
                "remove it from the configuration file",
            ),
            (Some(date), n) => (
                Code::WaiverExpired,
                format!(
                    "the waiver for {} expired on {date}; it no longer suppresses {}",
                    describe(waiver),
                    if n == 1 {
                        "1 finding".to_string()
                    } else {
                        format!("{n} findings")
                    }
                ),
                "fix what it waived and remove it, or renew it with a new `expires` date and reason",
            ),
            (None, 0) => (
                Code::WaiverUnused,
                format!("the waiver for {} matches no finding", describe(waiver)),
                "remove it from the configuration file",
            ),
            (None, _) => continue,
        };
        let span = Span::new(file, waiver.span.clone());
        let primary = Label {
            focus: span.clone(),
            span,
            message: "this waiver".into(),
            elidable: false,
        };
        let mut finding = Finding::new(
            code,
            code.default_severity(),
            waiver.tier.clone(),
            waiver.region.clone(),
            message,
            help,
            primary,
        )
        .about(&describe(waiver));
        finding.input = settings.path.display().to_string().into();
        outcome.findings.push(finding);
    }
}

/// Whether a waiver names a finding: its tier, and its region and/or one
/// of its resources.
fn applies(waiver: &Waiver, finding: &Finding) -> bool {
    *waiver.tier == *finding.tier
        && waiver
            .region
            .as_ref()
            .is_none_or(|r| finding.region.as_ref() == Some(r))
        && waiver
            .resource
            .as_ref()
            .is_none_or(|r| finding.resources.contains(r))
}

fn describe(waiver: &Waiver) -> String {
    let mut what = format!("the {} tier", waiver.tier);
    if let Some(region) = &waiver.region {
        what.push_str(&format!(" in {region}"));
    }
    if let Some(resource) = &waiver.resource {
        what.push_str(&format!(" ({resource})"));
    }
    what
}
