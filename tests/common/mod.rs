//! Random mutations of a JSON document, shared by the property tests that compare two ways
//! of loading the same text (`schema_equivalence.rs`, `split.rs`).

use proptest::sample::Index;
use serde_json::Value;

/// Every JSON pointer of `v`, the root included.
fn pointers(v: &Value, at: &str, out: &mut Vec<String>) {
    out.push(at.to_owned());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                pointers(
                    c,
                    &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                pointers(c, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The value a mutation puts in place, out of `kinds` kinds (`choice % kinds`); the last
/// kind removes the member (`None`). With 12 kinds: a wrong type, a fraction, null, a
/// negative number, an impossible date, a number beyond 28 digits, an empty object or
/// array, an unknown enum value, `2.0`; 14 kinds add 120 nested arrays and `-0.0`.
pub(crate) fn replacement(choice: u8, kinds: u8) -> Option<Value> {
    let c = choice % kinds;
    if c == kinds - 1 {
        return None;
    }
    let text = match c {
        0 => "\"text\"",
        1 => "1.5",
        2 => "null",
        3 => "true",
        4 => "-3",
        5 => "\"2020-02-31\"",
        6 => "123456789012345678901234567890",
        7 => "{}",
        8 => "[]",
        9 => "\"vbR_Unknown_Type\"",
        10 => "2.0",
        11 => {
            return Some(
                serde_json::from_str(&format!("{}{}", "[".repeat(120), "]".repeat(120))).unwrap(),
            );
        }
        _ => "-0.0",
    };
    Some(serde_json::from_str(text).unwrap())
}

/// Replaces the value at the pointer `pick` chooses with `with`, or removes that member
/// when `with` is `None`; returns the pointer, or `None` when `pick` chose the root.
pub(crate) fn mutate(doc: &mut Value, pick: Index, with: Option<Value>) -> Option<String> {
    let mut all = Vec::new();
    pointers(doc, "", &mut all);
    let target = all[pick.index(all.len())].clone();
    let (parent, last) = target.rsplit_once('/')?;
    match with {
        Some(v) => *doc.pointer_mut(&target).unwrap() = v,
        None => match doc.pointer_mut(parent).unwrap() {
            Value::Object(m) => {
                m.remove(&last.replace("~1", "/").replace("~0", "~"));
            }
            Value::Array(a) => {
                a.remove(last.parse::<usize>().unwrap());
            }
            _ => unreachable!(),
        },
    }
    Some(target)
}

/// JSON text of `levels` arrays and objects nested in one another (`style` picks, level by
/// level, an array or an object with one member), around the scalar `leaf`.
#[allow(dead_code)] // not every test file that shares this module uses it
pub(crate) fn nested(levels: usize, style: u64, leaf: &str) -> String {
    let mut open = String::new();
    let mut close = String::new();
    for level in 0..levels {
        if style.rotate_left(u32::try_from(level % 64).unwrap()) & 1 == 0 {
            open.push('[');
            close.insert(0, ']');
        } else {
            open.push_str("{\"k\":");
            close.insert(0, '}');
        }
    }
    format!("{open}{leaf}{close}")
}
