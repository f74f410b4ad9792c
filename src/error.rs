//! Why an input could not be checked.
//!
//! An [`InputError`] belongs to one input; the other inputs are still
//! checked and the run exits 2. Findings are never errors: a finding is the
//! rule's verdict on an input that was read.

use std::fmt;
use std::ops::Range;

/// The stable identifier of an input error (shown in every output format).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ErrorCode {
    Unreadable,
    EmptyInput,
    NotUtf8,
    BinaryPlan,
    EncryptedInput,
    InvalidJson,
    InvalidHcl,
    InvalidConfiguration,
    UnsupportedFormatVersion,
    NotAPlan,
    NoInputs,
}

impl ErrorCode {
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::Unreadable,
        ErrorCode::EmptyInput,
        ErrorCode::NotUtf8,
        ErrorCode::BinaryPlan,
        ErrorCode::EncryptedInput,
        ErrorCode::InvalidJson,
        ErrorCode::InvalidHcl,
        ErrorCode::InvalidConfiguration,
        ErrorCode::UnsupportedFormatVersion,
        ErrorCode::NotAPlan,
        ErrorCode::NoInputs,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unreadable => "unreadable",
            ErrorCode::EmptyInput => "empty-input",
            ErrorCode::NotUtf8 => "not-utf8",
            ErrorCode::BinaryPlan => "binary-plan",
            ErrorCode::EncryptedInput => "encrypted-input",
            ErrorCode::InvalidJson => "invalid-json",
            ErrorCode::InvalidHcl => "invalid-hcl",
            ErrorCode::InvalidConfiguration => "invalid-configuration",
            ErrorCode::UnsupportedFormatVersion => "unsupported-format-version",
            ErrorCode::NotAPlan => "not-a-plan",
            ErrorCode::NoInputs => "no-inputs",
        }
    }
}

impl ErrorCode {
    /// `tierkey explain CODE`: what the input error means and what to do.
    pub fn explain(self) -> String {
        let text = match self {
            ErrorCode::Unreadable => "The path does not exist or cannot be read (permissions). Check the path.",
            ErrorCode::EmptyInput => "The file is empty, which usually means `terraform show -json PLANFILE > plan.json` failed. Run it again and check its exit status.",
            ErrorCode::NotUtf8 => "The file is not UTF-8: invalid bytes, or UTF-16 written by Windows PowerShell's `>`. Write it with `| Out-File -Encoding utf8`.",
            ErrorCode::BinaryPlan => "A binary plan file (`terraform plan -out`). Convert it first: `terraform show -json PLANFILE > plan.json`.",
            ErrorCode::EncryptedInput => "An OpenTofu encrypted plan or state. Decrypt it with `tofu show -json PLANFILE > plan.json` (which needs the key) and check that file.",
            ErrorCode::InvalidJson => "Invalid or truncated JSON, trailing text, setup-terraform wrapper output without JSON, or a document whose structure is not a plan's. The error points at the place.",
            ErrorCode::InvalidHcl => "A `.tf`, `.tofu` or `.tfvars` file that does not parse as HCL (Terraform's native syntax). The error points at the place; `terraform validate` reports the same problem.",
            ErrorCode::InvalidConfiguration => "A configuration Terraform itself rejects: two `provider` blocks with the same name and alias, two blocks declaring the same resource, module, variable or output, or an override file whose block overrides nothing. The error points at the block.",
            ErrorCode::UnsupportedFormatVersion => "A plan or state format version tierkey does not read (it reads 0.x and 1.x, and raw state version 4). Upgrade tierkey, or check `terraform show -json` output.",
            ErrorCode::NotAPlan => "A JSON file named on the command line that is neither a plan, a state nor a configuration.",
            ErrorCode::NoInputs => "A directory holds no Terraform configuration (.tf, .tofu, .tf.json), plan or state files. Name the files to check, or write a plan with `terraform show -json`.",
        };
        format!("{} (input error, exit status 2)\n\n{text}\n", self.as_str())
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One input that could not be checked, with the place in it when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub code: ErrorCode,
    pub message: String,
    pub help: Option<String>,
    /// Byte range in the input's text.
    pub span: Option<Range<usize>>,
}

impl InputError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            help: None,
            span: None,
        }
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Names the file the error is in (for inputs made of several files).
    pub(crate) fn at(mut self, span: Range<usize>) -> Self {
        self.span = Some(span);
        self
    }
}
