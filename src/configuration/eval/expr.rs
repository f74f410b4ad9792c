//! Expressions evaluated in a module instance: references (`var.*`,
//! `local.*`, `module.*`, `each.*`, `count.index`, `path.*`, resources and
//! data sources), templates, operators, conditionals, `for` expressions,
//! splats, and function calls ([`super::functions`]).
//!
//! A value that cannot be known offline is [`Value::Unknown`] with the
//! reason, and stays unknown through every operation that depends on it; a
//! reference to a resource attribute stays symbolic
//! ([`Unknown::Attribute`]). What Terraform itself would reject is
//! [`Unknown::Error`], which `try` and `can` look past.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::functions;
use super::values::{
    attribute, equal, error, first_unknown, index_value, number, number_text, pairs, to_text,
    truth, unknown, V,
};
use super::{Evaluator, InstanceId};
use crate::configuration::tree::{BinaryOp, Expr, ExprKind, For, Step, TemplatePart, UnaryOp};
use crate::value::{Unknown, Value};

/// How deep evaluation may recurse (nested expressions, locals referring
/// to locals) before it gives up with an unknown.
const MAX_DEPTH: usize = 256;

/// How much value one configuration may compute, in [`weight`] units
/// (about a value or 8 bytes of text each): a configuration that doubles a
/// list in each of 64 locals would otherwise take all memory. Past it,
/// values are unknown and say why; real configurations use a tiny part.
pub(super) const MAX_VALUE_WEIGHT: usize = 1 << 22;

fn exhausted() -> V {
    unknown("the configuration computes more values than tierkey evaluates")
}

/// The size of a value, counted up to `limit` (and then `limit + 1`).
pub(super) fn weight(value: &V, limit: usize) -> usize {
    fn walk(value: &V, total: &mut usize, limit: usize) {
        if *total > limit {
            return;
        }
        *total += 1;
        match value {
            Value::String(s) => *total += s.len() / 8,
            Value::List(items) => {
                for item in items {
                    walk(item, total, limit);
                }
            }
            Value::Map(map) | Value::Partial(map, _) => {
                for (key, item) in map {
                    *total += key.len() / 8;
                    walk(item, total, limit);
                }
            }
            _ => {}
        }
    }
    let mut total = 0;
    walk(value, &mut total, limit);
    total.min(limit + 1)
}

/// Where an expression is evaluated: a module instance, and the
/// `each` / `count` / `for` / `dynamic` names bound there.
#[derive(Clone)]
pub(super) struct Ctx<'e, 'w> {
    pub ev: &'e Evaluator<'w>,
    pub inst: InstanceId,
    pub each: Option<Rc<(V, V)>>,
    pub count: Option<V>,
    pub bindings: Rc<Vec<(String, V)>>,
    pub depth: usize,
}

impl<'e, 'w> Ctx<'e, 'w> {
    pub(super) fn new(ev: &'e Evaluator<'w>, inst: InstanceId) -> Self {
        Ctx {
            ev,
            inst,
            each: None,
            count: None,
            bindings: Rc::new(Vec::new()),
            depth: 0,
        }
    }

    /// The same place with more names bound (`for`, `dynamic` iterators).
    pub(super) fn bind(&self, names: impl IntoIterator<Item = (String, V)>) -> Self {
        let mut bindings = (*self.bindings).clone();
        bindings.extend(names);
        Ctx {
            bindings: Rc::new(bindings),
            ..self.clone()
        }
    }

    pub(super) fn eval(&self, expr: &Expr) -> V {
        if self.depth > MAX_DEPTH {
            return unknown("the expression nests too deeply to evaluate");
        }
        let deeper = Ctx {
            depth: self.depth + 1,
            ..self.clone()
        };
        let value = deeper.eval_kind(expr);
        // What builds or copies values is paid for from one budget.
        match expr.kind {
            ExprKind::Call { .. }
            | ExprKind::For(_)
            | ExprKind::Template(_)
            | ExprKind::Traversal { .. }
            | ExprKind::Postfix { .. } => self.spend(value),
            _ => value,
        }
    }

    /// Calls function `name`; `expand`: the last argument is spread
    /// (`f(args...)`). `try` and `can` evaluate their arguments themselves,
    /// to look past errors; the others get values.
    fn call(&self, name: &str, args: &[Expr], expand: bool) -> V {
        match name {
            "try" => return self.try_(args),
            "can" => return self.can(args),
            _ => {}
        }
        let mut values: Vec<V> = args.iter().map(|a| self.eval(a)).collect();
        if expand {
            match values.pop() {
                Some(Value::List(items)) => values.extend(items),
                Some(Value::Unknown(u)) => return Value::Unknown(u),
                Some(_) => return error(format!("`{name}(...)`: the last argument is not a list")),
                None => {}
            }
        }
        functions::call(name, values)
    }

    /// `try(a, b, ...)`: the first argument that evaluates without an error.
    fn try_(&self, args: &[Expr]) -> V {
        for arg in args {
            match self.eval(arg) {
                Value::Unknown(Unknown::Error(_)) => {}
                value => return value,
            }
        }
        error("try: every argument fails")
    }

    /// `can(expr)`: whether it evaluates without an error.
    fn can(&self, args: &[Expr]) -> V {
        match args.first().map(|a| self.eval(a)) {
            Some(Value::Unknown(Unknown::Error(_))) => Value::Bool(false),
            Some(Value::Unknown(u)) => Value::Unknown(u),
            Some(_) => Value::Bool(true),
            None => error("can takes one argument"),
        }
    }

    /// Charges a value to the evaluation budget: unknown once it runs out.
    fn spend(&self, value: V) -> V {
        let left = self.ev.value_budget.get();
        let cost = weight(&value, left);
        if cost > left {
            self.ev.value_budget.set(0);
            return exhausted();
        }
        self.ev.value_budget.set(left - cost);
        value
    }

    /// Charges one iteration of a `for` to the budget, so nested loops end.
    fn step(&self) -> Result<(), V> {
        match self.ev.value_budget.get() {
            0 => Err(exhausted()),
            left => {
                self.ev.value_budget.set(left - 1);
                Ok(())
            }
        }
    }

    fn eval_kind(&self, expr: &Expr) -> V {
        match &expr.kind {
            ExprKind::Null => Value::Null,
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::Number(n) => Value::Number(*n),
            ExprKind::String(s) => Value::String(Cow::Owned(s.clone())),
            ExprKind::Tuple(items) => Value::List(items.iter().map(|i| self.eval(i)).collect()),
            ExprKind::Object(items) => self.object(items),
            ExprKind::Template(parts) => self.template(parts),
            ExprKind::Traversal { root, steps } => self.reference(root, steps),
            ExprKind::Postfix { base, steps } => {
                let base = self.eval(base);
                self.apply(base, steps)
            }
            ExprKind::Call { name, args, expand } => self.call(name, args, *expand),
            ExprKind::Conditional(parts) => self.conditional(&parts[0], &parts[1], &parts[2]),
            ExprKind::Unary(op, operand) => unary(*op, &self.eval(operand)),
            ExprKind::Binary(op, operands) => self.binary(*op, &operands[0], &operands[1]),
            ExprKind::For(f) => self.for_expr(f),
            ExprKind::Opaque(text) => unknown(format!(
                "`{}` cannot be evaluated offline",
                crate::source::clip(text, 80)
            )),
        }
    }

    fn object(&self, items: &[(Expr, Expr)]) -> V {
        let mut map = BTreeMap::new();
        let mut open: Option<Unknown> = None;
        for (key, value) in items {
            let key = match self.eval(key) {
                Value::Unknown(u @ Unknown::Error(_)) => return Value::Unknown(u),
                Value::Unknown(u) => {
                    open.get_or_insert(u);
                    continue;
                }
                key => match to_text(&key) {
                    Ok(k) => k,
                    Err(e) => return e,
                },
            };
            // Later keys win (JSON and HCL both allow repeats here).
            map.insert(Cow::Owned(key), self.eval(value));
        }
        match open {
            Some(u) => Value::Partial(map, u),
            None => Value::Map(map),
        }
    }

    fn template(&self, parts: &[TemplatePart]) -> V {
        let mut out = String::new();
        for part in parts {
            match part {
                TemplatePart::Literal(s) => out.push_str(s),
                TemplatePart::Interpolation(e) => match to_text(&self.eval(e)) {
                    Ok(s) => out.push_str(&s),
                    Err(e) => return e,
                },
                TemplatePart::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    let branch = match truth(&self.eval(cond)) {
                        Ok(true) => then,
                        Ok(false) => otherwise,
                        Err(e) => return e,
                    };
                    match self.template(branch) {
                        Value::String(s) => out.push_str(&s),
                        other => return other,
                    }
                }
                TemplatePart::For {
                    key_var,
                    value_var,
                    collection,
                    body,
                } => {
                    let pairs = match pairs(self.eval(collection)) {
                        Ok(p) => p,
                        Err(e) => return e,
                    };
                    for (k, v) in pairs {
                        if let Err(e) = self.step() {
                            return e;
                        }
                        let mut names = vec![(value_var.clone(), v)];
                        if let Some(key_var) = key_var {
                            names.push((key_var.clone(), k));
                        }
                        match self.bind(names).template(body) {
                            Value::String(s) => out.push_str(&s),
                            other => return other,
                        }
                    }
                }
            }
        }
        Value::String(Cow::Owned(out))
    }

    fn conditional(&self, cond: &Expr, then: &Expr, otherwise: &Expr) -> V {
        match truth(&self.eval(cond)) {
            Ok(true) => self.eval(then),
            Ok(false) => self.eval(otherwise),
            Err(Value::Unknown(u)) if !matches!(u, Unknown::Error(_)) => {
                // Either branch: known only when both agree.
                let (a, b) = (self.eval(then), self.eval(otherwise));
                if a == b && first_unknown([&a]).is_none() {
                    a
                } else {
                    Value::Unknown(u)
                }
            }
            Err(e) => e,
        }
    }

    fn binary(&self, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> V {
        let left = self.eval(lhs);
        // `false && x` and `true || x` whatever x is.
        match (op, truth(&left)) {
            (BinaryOp::And, Ok(false)) => return Value::Bool(false),
            (BinaryOp::Or, Ok(true)) => return Value::Bool(true),
            _ => {}
        }
        let right = self.eval(rhs);
        if let Some(u) = first_unknown([&left, &right]) {
            return Value::Unknown(u);
        }
        match op {
            BinaryOp::And | BinaryOp::Or => match (truth(&left), truth(&right)) {
                (Ok(a), Ok(b)) => Value::Bool(if op == BinaryOp::And { a && b } else { a || b }),
                (Err(e), _) | (_, Err(e)) => e,
            },
            BinaryOp::Eq => Value::Bool(equal(&left, &right)),
            BinaryOp::NotEq => Value::Bool(!equal(&left, &right)),
            _ => {
                let (a, b) = match (number(&left), number(&right)) {
                    (Ok(a), Ok(b)) => (a, b),
                    (Err(e), _) | (_, Err(e)) => return e,
                };
                match op {
                    BinaryOp::Less => Value::Bool(a < b),
                    BinaryOp::LessEq => Value::Bool(a <= b),
                    BinaryOp::Greater => Value::Bool(a > b),
                    BinaryOp::GreaterEq => Value::Bool(a >= b),
                    BinaryOp::Plus => Value::Number(a + b),
                    BinaryOp::Minus => Value::Number(a - b),
                    BinaryOp::Mul => Value::Number(a * b),
                    BinaryOp::Div if b == 0.0 => error("division by zero"),
                    BinaryOp::Div => Value::Number(a / b),
                    BinaryOp::Mod if b == 0.0 => error("modulo by zero"),
                    _ => Value::Number(a % b),
                }
            }
        }
    }

    fn for_expr(&self, f: &For) -> V {
        let pairs = match pairs(self.eval(&f.collection)) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let mut list = Vec::new();
        let mut map: BTreeMap<Cow<'static, str>, V> = BTreeMap::new();
        for (k, v) in pairs {
            if let Err(e) = self.step() {
                return e;
            }
            let mut names = vec![(f.value_var.clone(), v)];
            if let Some(key_var) = &f.key_var {
                names.push((key_var.clone(), k));
            }
            let inner = self.bind(names);
            if let Some(cond) = &f.cond {
                match truth(&inner.eval(cond)) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(e) => return e,
                }
            }
            let value = inner.eval(&f.value);
            let Some(key) = &f.key else {
                list.push(value);
                continue;
            };
            let key = match to_text(&inner.eval(key)) {
                Ok(k) => Cow::Owned(k),
                Err(e) => return e,
            };
            if f.grouping {
                // Grouped entries are only ever lists.
                if let Value::List(items) =
                    map.entry(key).or_insert_with(|| Value::List(Vec::new()))
                {
                    items.push(value);
                }
            } else {
                match map.entry(key) {
                    std::collections::btree_map::Entry::Occupied(taken) => {
                        return error(format!(
                            "two elements of a `for` expression have the key {:?} (use `...` to group them)",
                            taken.key()
                        ));
                    }
                    std::collections::btree_map::Entry::Vacant(free) => {
                        free.insert(value);
                    }
                }
            }
        }
        if f.key.is_some() {
            Value::Map(map)
        } else {
            Value::List(list)
        }
    }

    /// A reference: `root.step...`.
    fn reference(&self, root: &str, steps: &[Step]) -> V {
        if let Some((_, v)) = self.bindings.iter().rev().find(|(n, _)| n == root) {
            return self.apply(v.clone(), steps);
        }
        let inst = self.ev.instance(self.inst);
        let (first, rest) = match steps.split_first() {
            Some((Step::Attr(name), rest)) => (Some(name.as_str()), rest),
            _ => (None, steps),
        };
        match (root, first) {
            ("var", Some(name)) => {
                let v = self.ev.variable(self.inst, name, self.depth);
                self.apply(v, rest)
            }
            ("local", Some(name)) => {
                let v = self.ev.local(self.inst, name, self.depth);
                self.apply(v, rest)
            }
            ("module", Some(call)) => self.ev.module_reference(self, call, rest),
            ("each", Some(field @ ("key" | "value"))) => match &self.each {
                Some(each) => {
                    let v = if field == "key" { &each.0 } else { &each.1 };
                    self.apply(v.clone(), rest)
                }
                None => error("`each` is only available in a block with `for_each`"),
            },
            ("count", Some("index")) => match &self.count {
                Some(i) => self.apply(i.clone(), rest),
                None => error("`count.index` is only available in a block with `count`"),
            },
            ("path", Some("module")) => Value::String(Cow::Owned(inst.path_module.clone())),
            ("path", Some("root")) => Value::String(Cow::Owned(self.ev.root_path.clone())),
            ("path", Some("cwd")) => Value::String(Cow::Borrowed(".")),
            ("terraform", Some("workspace")) => {
                unknown("`terraform.workspace` is the workspace selected at run time")
            }
            ("self", _) => unknown("`self` is the resource being created"),
            ("data", Some(rtype)) => {
                let Some((Step::Attr(name), rest)) = rest.split_first() else {
                    return error("a data source reference needs a name");
                };
                self.resource_reference(&format!("data.{rtype}.{name}"), rest)
            }
            (rtype, Some(name)) if inst.declares(rtype, name) => {
                self.resource_reference(&format!("{rtype}.{name}"), rest)
            }
            _ => error(format!("`{root}` is not a name Terraform knows here")),
        }
    }

    /// `TYPE.NAME[key].attr...` of a resource or data source: unknown,
    /// with the address and attribute kept.
    fn resource_reference(&self, local: &str, steps: &[Step]) -> V {
        let prefix = &self.ev.instance(self.inst).prefix;
        let mut address = if prefix.is_empty() {
            local.to_string()
        } else {
            format!("{prefix}.{local}")
        };
        let mut rest = steps;
        if let Some((Step::Index(index), after)) = steps.split_first() {
            match self.eval(index) {
                Value::String(k) => address.push_str(&format!("[{k:?}]")),
                Value::Number(n) => address.push_str(&format!("[{}]", number_text(n))),
                _ => address.push_str("[?]"),
            }
            rest = after;
        }
        let attribute = rest
            .iter()
            .map(|s| match s {
                Step::Attr(a) => format!(".{a}"),
                Step::Index(i) => format!("[{i}]"),
                Step::Splat => "[*]".into(),
            })
            .collect::<String>();
        Value::Unknown(Unknown::Attribute {
            address,
            attribute: attribute.trim_start_matches('.').to_string(),
        })
    }

    /// Applies traversal steps to a value.
    pub(super) fn apply(&self, mut value: V, steps: &[Step]) -> V {
        for (i, step) in steps.iter().enumerate() {
            value = match step {
                Step::Attr(name) => attribute(value, name),
                Step::Index(index) => {
                    let key = self.eval(index);
                    index_value(value, &key)
                }
                Step::Splat => {
                    let rest = &steps[i + 1..];
                    return match value {
                        Value::List(items) => {
                            Value::List(items.into_iter().map(|v| self.apply(v, rest)).collect())
                        }
                        Value::Null => Value::List(Vec::new()),
                        u @ Value::Unknown(_) => u,
                        other => Value::List(vec![self.apply(other, rest)]),
                    };
                }
            };
            if matches!(value, Value::Unknown(_)) {
                return value;
            }
        }
        value
    }
}

fn unary(op: UnaryOp, value: &V) -> V {
    if let Some(u) = first_unknown([value]) {
        return Value::Unknown(u);
    }
    match op {
        UnaryOp::Not => match truth(value) {
            Ok(b) => Value::Bool(!b),
            Err(e) => e,
        },
        UnaryOp::Neg => match number(value) {
            Ok(n) => Value::Number(-n),
            Err(e) => e,
        },
    }
}
