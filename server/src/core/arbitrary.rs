//! (tests only) Strategies for the property tests of the parsers of outside input: arbitrary
//! JSON values, and JSON shaped like an expected answer but with any field missing, of the
//! wrong type, extreme, or accompanied by unknown fields.

use proptest::prelude::*;
use serde_json::{Map, Number, Value};

/// Texts as outside services send them: empty, ASCII, any Unicode, quotes and escapes.
pub fn text() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        3 => "[a-zA-Z0-9 _.-]{0,10}",
        2 => "\\PC{0,10}",
        1 => ".{0,6}",
        1 => Just(String::new()),
        1 => "[\"\\\\\u{0}\u{feff}\u{1F600} ]{0,4}",
    ]
}

/// Integers that fit an `i64`, the edges well represented.
fn int64() -> impl Strategy<Value = Value> + Clone {
    prop_oneof![
        4 => (-3i64..1000).prop_map(Value::from),
        2 => any::<i64>().prop_map(Value::from),
        2 => prop::sample::select(vec![
            i64::MIN,
            i64::MAX,
            i64::from(i32::MIN),
            i64::from(i32::MAX),
            i64::from(u32::MAX),
            i64::from(u32::MAX) + 1,
            -1,
        ])
        .prop_map(Value::from),
    ]
}

/// Numbers: integers with the edges of every integer type well represented, and fractions.
pub fn integer() -> impl Strategy<Value = Value> + Clone {
    prop_oneof![
        6 => int64(),
        1 => any::<u64>().prop_map(Value::from),
        1 => Just(Value::from(u64::MAX)),
        1 => any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
    ]
}

/// Any JSON value, up to a few levels deep.
pub fn json() -> impl Strategy<Value = Value> + Clone {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        integer(),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// What a field of an expected answer holds.
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    Str,
    /// A text that is one of these words (in noise: any text too).
    Word(&'static [&'static str]),
    Int,
    /// An index, a count or a limit (`u32`, with its edges).
    Index,
    Bool,
    Any,
    /// An object with these fields.
    Obj(&'static [(&'static str, Shape)]),
    /// A list of these.
    List(&'static Shape),
    /// Null or this.
    Opt(&'static Shape),
    /// An object with any keys, each holding one of these.
    Map(&'static Shape),
}

/// A JSON value of this shape: half of the time exactly (every field there, of its type,
/// integers within `i64`, unknown fields beside them); otherwise with noise at every level
/// (fields missing, any value instead, any number).
pub fn shaped(shape: Shape) -> BoxedStrategy<Value> {
    prop_oneof![build(shape, false), build(shape, true)].boxed()
}

fn build(shape: Shape, noisy: bool) -> BoxedStrategy<Value> {
    let right: BoxedStrategy<Value> = match shape {
        Shape::Str => text().prop_map(Value::String).boxed(),
        Shape::Word(words) if noisy => prop_oneof![
            prop::sample::select(words).prop_map(Value::from),
            text().prop_map(Value::String),
        ]
        .boxed(),
        Shape::Word(words) => prop::sample::select(words).prop_map(Value::from).boxed(),
        Shape::Int if noisy => integer().boxed(),
        Shape::Int => int64().boxed(),
        Shape::Index if noisy => integer().boxed(),
        Shape::Index => prop_oneof![0u32..5, any::<u32>(), Just(u32::MAX)]
            .prop_map(Value::from)
            .boxed(),
        Shape::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Shape::Any => json().boxed(),
        Shape::Obj(fields) => {
            let known: Vec<BoxedStrategy<Option<(String, Value)>>> = fields
                .iter()
                .map(|(name, s)| {
                    let value = build(*s, noisy).prop_map(|v| (name.to_string(), v));
                    if noisy {
                        prop::option::weighted(0.9, value).boxed()
                    } else {
                        value.prop_map(Some).boxed()
                    }
                })
                .collect();
            let extra = prop::collection::vec((text(), json()), 0..2);
            (known, extra)
                .prop_map(|(known, extra)| {
                    let mut m = Map::new();
                    for (k, v) in extra.into_iter().chain(known.into_iter().flatten()) {
                        m.insert(k, v);
                    }
                    Value::Object(m)
                })
                .boxed()
        }
        Shape::List(item) => prop::collection::vec(build(*item, noisy), 0..4)
            .prop_map(Value::Array)
            .boxed(),
        Shape::Opt(inner) => prop_oneof![1 => Just(Value::Null), 3 => build(*inner, noisy)].boxed(),
        Shape::Map(item) => prop::collection::btree_map(text(), build(*item, noisy), 0..4)
            .prop_map(|m| Value::Object(m.into_iter().collect()))
            .boxed(),
    };
    if noisy {
        prop_oneof![12 => right, 1 => json()].boxed()
    } else {
        right
    }
}

/// A body as a service might send it: shaped JSON, any JSON, or any bytes (read as the HTTP
/// client reads text: invalid UTF-8 replaced).
pub fn body(shape: Shape) -> impl Strategy<Value = String> {
    prop_oneof![
        6 => shaped(shape).prop_map(|v| v.to_string()),
        1 => json().prop_map(|v| v.to_string()),
        1 => prop::collection::vec(any::<u8>(), 0..64)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        1 => shaped(shape).prop_map(|v| {
            // Cut short: an answer that broke off.
            let s = v.to_string();
            let cut = s.char_indices().nth(s.chars().count() / 2).map_or(0, |(i, _)| i);
            s[..cut].to_string()
        }),
    ]
}

/// CSV-like text: up to `max_lines` lines, mostly `good` ones, otherwise 0 to `max_fields`
/// fields taken from `cells` (plus a little noise) and joined by `,`; lines ended by LF, CRLF
/// or a lone CR, sometimes behind a BOM and sometimes without a final line break.
pub fn csv_text(
    good: impl Strategy<Value = String> + 'static,
    cells: Vec<&'static str>,
    max_fields: usize,
    max_lines: usize,
) -> impl Strategy<Value = String> {
    let cell = prop_oneof![
        8 => prop::sample::select(cells).prop_map(str::to_string),
        1 => "[a-z\"', ;\r\n\u{e4}\u{feff}]{0,4}",
    ];
    let noisy = prop::collection::vec(cell, 0..=max_fields).prop_map(|f| f.join(","));
    let line = prop_oneof![12 => good, 1 => noisy];
    let end = prop::sample::select(vec!["\n", "\n", "\n", "\r\n", "\r"]);
    (
        any::<bool>(),
        prop::collection::vec((line, end), 0..=max_lines),
        any::<bool>(),
    )
        .prop_map(|(bom, lines, last_end)| {
            let mut text = if bom {
                "\u{feff}".to_string()
            } else {
                String::new()
            };
            let n = lines.len();
            for (i, (line, end)) in lines.into_iter().enumerate() {
                text.push_str(&line);
                if i + 1 < n || last_end {
                    text.push_str(end);
                }
            }
            text
        })
}

/// The number of lines of a file as an editor counts them: line breaks (LF, CRLF or a lone
/// CR) + 1.
pub fn line_count(bytes: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(bytes).replace("\r\n", "\n");
    text.matches(['\n', '\r']).count() as u64 + 1
}
