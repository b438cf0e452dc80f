//! A deserializer adapter that reads structs from JSON objects only.
//!
//! Serde's derived `Deserialize` for a struct also accepts a JSON *array* of its fields in
//! order (and `[]` for a struct whose fields all have defaults), while the JSON Schema
//! generated from the same struct requires an object. Loading through [`Strict`] turns every
//! `deserialize_struct` into `deserialize_map`, at every depth, so that the typed parse
//! accepts exactly what the schema accepts (`tests/schema_equivalence.rs`). Everything else
//! is forwarded unchanged, borrowed strings and `RawValue`s included.
//!
//! It also bounds the nesting of arrays and objects at [`MAX_DEPTH`], everywhere, members
//! the model ignores included. `serde_json` skips an unknown member without a depth limit,
//! but the schema validator reads the document as a `serde_json::Value`, whose parser stops
//! at 128 levels (a deeper tree would overflow the stack when built, checked or dropped):
//! without the bound, the two schema-check modes would disagree on such a document. The
//! depth is counted on the thread ([`depth`]), so that the items of a split array
//! (`crate::split`) are parsed at their depth in the whole document ([`from_str_at`]).

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, Error as _, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};
use serde_json::value::RawValue;
use std::cell::Cell;
use std::fmt;

/// The most arrays and objects a document may nest in one another: as many as `serde_json`
/// reads into a `Value` (the document the schema validator checks). A deeper document is
/// refused by the typed parse in both schema-check modes, with [`TOO_DEEP`].
pub const MAX_DEPTH: usize = 127;

/// The message of the error that refuses a document nested deeper than [`MAX_DEPTH`].
pub const TOO_DEEP: &str =
    "arrays and objects are nested more than 127 deep; at most 127 levels are read";

/// The name under which `serde_json` reads a `RawValue` (`serde_json::raw::TOKEN`, private).
const RAW_VALUE: &str = "$serde_json::private::RawValue";

thread_local! {
    /// The arrays and objects open around the value the strict parse on this thread reads.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// The arrays and objects open around the value being read by the strict parse running on
/// this thread (0 outside of one): the depth a split array's items start at.
#[must_use]
pub fn depth() -> usize {
    DEPTH.get()
}

/// Runs `f` with the depth set to `base` on this thread, and restores the previous depth
/// afterwards (also when `f` panics): a parse may run, through rayon, on a thread that waits
/// in the middle of another parse.
pub fn at_depth<R>(base: usize, f: impl FnOnce() -> R) -> R {
    struct Restore(usize);
    impl Drop for Restore {
        fn drop(&mut self) {
            DEPTH.set(self.0);
        }
    }
    let _restore = Restore(DEPTH.replace(base));
    f()
}

/// Whether `e` refuses a document for its depth: [`TOO_DEEP`] from this adapter, or
/// `serde_json`'s own recursion limit (which a `Value` member of the model meets first).
#[must_use]
pub fn is_too_deep(e: &serde_json::Error) -> bool {
    let text = e.to_string();
    text.starts_with(TOO_DEEP) || (e.is_syntax() && text.starts_with("recursion limit exceeded"))
}

/// One more array or object open; closed when dropped.
struct Level;

impl Level {
    fn open<E: de::Error>() -> Result<Self, E> {
        let depth = DEPTH.get() + 1;
        if depth > MAX_DEPTH {
            return Err(E::custom(TOO_DEEP));
        }
        DEPTH.set(depth);
        Ok(Self)
    }
}

impl Drop for Level {
    fn drop(&mut self) {
        DEPTH.set(DEPTH.get() - 1);
    }
}

/// Wraps a deserializer; see the module documentation.
pub struct Strict<D>(pub D);

/// Parses `text` into `T`, reading structs from objects only.
///
/// # Errors
/// Those of `serde_json`, including an array where an object is expected, and [`TOO_DEEP`].
pub fn from_str<'de, T: de::Deserialize<'de>>(text: &'de str) -> serde_json::Result<T> {
    from_str_at(text, 0)
}

/// As [`from_str`], for a value that `depth` arrays and objects enclose in its document.
///
/// # Errors
/// As [`from_str`].
pub fn from_str_at<'de, T: de::Deserialize<'de>>(
    text: &'de str,
    depth: usize,
) -> serde_json::Result<T> {
    at_depth(depth, || {
        let mut de = serde_json::Deserializer::from_str(text);
        let value = T::deserialize(Strict(&mut de))?;
        de.end()?;
        Ok(value)
    })
}

struct Wrap<V>(V);
struct Seed<S>(S);

macro_rules! forward_deserialize {
    ($($method:ident),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
                self.0.$method(Wrap(visitor))
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<D> {
    type Error = D::Error;

    forward_deserialize!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
    );

    /// A member the model ignores: skipped by `serde_json` (without a depth limit, and
    /// without decoding the escapes of its strings) as a borrowed raw value, whose nesting is
    /// then counted and whose strings are decoded. Needs a deserializer that can borrow raw
    /// values (`serde_json` from a `&str`), as the number fields do.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let raw = <&'de RawValue as de::Deserialize<'de>>::deserialize(Strict(self.0))?;
        let room = MAX_DEPTH - DEPTH.get().min(MAX_DEPTH);
        if crate::locate::nests_deeper(raw.get().as_bytes(), room) {
            return Err(D::Error::custom(TOO_DEEP));
        }
        if !crate::locate::strings_decode(raw.get().as_bytes()) {
            // As the schema validator's parser does: the load then reports its error.
            return Err(D::Error::custom(
                "a string has a lone UTF-16 surrogate escape (\\ud800 to \\udfff)",
            ));
        }
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, Wrap(visitor))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        if name == RAW_VALUE {
            // `serde_json` hands a raw value over as a map with one member, which is no
            // level of the document: not wrapped, not counted.
            return self.0.deserialize_newtype_struct(name, visitor);
        }
        self.0.deserialize_newtype_struct(name, Wrap(visitor))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, Wrap(visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple_struct(name, len, Wrap(visitor))
    }

    /// The point of the adapter: a struct comes from an object, never from an array.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(Wrap(visitor))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, Wrap(visitor))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(
            fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
                self.0.$method(v)
            }
        )*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    forward_visit!(
        visit_bool(bool),
        visit_i8(i8),
        visit_i16(i16),
        visit_i32(i32),
        visit_i64(i64),
        visit_i128(i128),
        visit_u8(u8),
        visit_u16(u16),
        visit_u32(u32),
        visit_u64(u64),
        visit_u128(u128),
        visit_f32(f32),
        visit_f64(f64),
        visit_char(char),
        visit_str(&str),
        visit_borrowed_str(&'de str),
        visit_string(String),
        visit_bytes(&[u8]),
        visit_borrowed_bytes(&'de [u8]),
        visit_byte_buf(Vec<u8>),
    );

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<V::Value, D2::Error> {
        self.0.visit_some(Strict(d))
    }

    fn visit_newtype_struct<D2: Deserializer<'de>>(self, d: D2) -> Result<V::Value, D2::Error> {
        self.0.visit_newtype_struct(Strict(d))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        let _level = Level::open()?;
        self.0.visit_seq(Wrap(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        let _level = Level::open()?;
        self.0.visit_map(Wrap(map))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(Wrap(data))
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Wrap<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Wrap<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(seed)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Wrap<A> {
    type Error = A::Error;
    type Variant = Wrap<A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Self::Variant), A::Error> {
        self.0.variant_seed(seed).map(|(v, rest)| (v, Wrap(rest)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Wrap<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(Seed(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Wrap(visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, Wrap(visitor))
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Strict(d))
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{LicenseReportParameters, PagingInfo, SingleLicenseReport};

    #[test]
    fn structs_come_from_objects_only() {
        assert!(
            serde_json::from_str::<PagingInfo>("[]").is_ok(),
            "plain serde accepts it"
        );
        assert!(super::from_str::<PagingInfo>("[]").is_err());
        assert!(super::from_str::<SingleLicenseReport>(r#"{"reportSummary": []}"#).is_err());
        let positional = r#"[1, "a", "b", "c", "2020-01-01", {"startOfInterval": "2020-01-01", "endOfInterval": "2020-01-31"}]"#;
        assert!(serde_json::from_str::<LicenseReportParameters>(positional).is_ok());
        assert!(super::from_str::<LicenseReportParameters>(positional).is_err());
    }

    #[test]
    fn everything_else_is_unchanged() {
        let p: PagingInfo = super::from_str(r#"{"total": 2.0, "count": null}"#).unwrap();
        assert_eq!((p.total, p.count, p.offset), (Some(2), None, None));
        let r: SingleLicenseReport = super::from_str(
            r#"{"reportStatus": "approved", "notCollectedCloudServers": ["a"], "organizationsUsage": [{"organizationUid": "u", "usedPoints": 0.33}]}"#,
        )
        .unwrap();
        assert_eq!(r.organizations()[0].used_points.to_string(), "0.33");
        assert!(
            super::from_str::<PagingInfo>(r#"{"total": 1} x"#).is_err(),
            "trailing text"
        );
    }

    /// `levels` arrays nested in one another.
    fn nested(levels: usize) -> String {
        format!("{}{}", "[".repeat(levels), "]".repeat(levels))
    }

    #[test]
    fn ignored_members_are_read_to_127_levels() {
        assert!(super::TOO_DEEP.contains(&super::MAX_DEPTH.to_string()));
        // The report is the first level.
        let member = |levels| format!(r#"{{"reportStatus": "Approved", "x": {}}}"#, nested(levels));
        assert!(super::from_str::<SingleLicenseReport>(&member(126)).is_ok());
        let e = super::from_str::<SingleLicenseReport>(&member(127)).unwrap_err();
        assert!(super::is_too_deep(&e), "{e}");
        let e = super::from_str::<SingleLicenseReport>(&member(100_000)).unwrap_err();
        assert!(super::is_too_deep(&e), "{e}");
        // Brackets in strings are not nesting.
        let text = format!(r#"{{"x": ["{}"]}}"#, "[".repeat(500));
        assert!(super::from_str::<SingleLicenseReport>(&text).is_ok());
        // As deep as the validator's own parser reads.
        let value =
            |levels| serde_json::from_str::<serde_json::Value>(&format!("[{}]", nested(levels)));
        assert!(value(126).is_ok() && value(127).is_err());
        assert_eq!(super::depth(), 0, "restored after an error");
    }

    #[test]
    fn every_member_counts_toward_the_depth() {
        use crate::model::LicenseReportCollection;
        // An error's code is kept as a `serde_json::Value`: root, errors, error, then code.
        let code = |levels| {
            format!(
                r#"{{"data": [], "errors": [{{"code": {}}}]}}"#,
                nested(levels)
            )
        };
        assert!(super::from_str::<LicenseReportCollection>(&code(124)).is_ok());
        let e = super::from_str::<LicenseReportCollection>(&code(125)).unwrap_err();
        assert!(super::is_too_deep(&e), "{e}");
        // A value read on its own, at its depth in a document.
        let item = format!(
            r#"{{"organizationUid": "a", "usedPoints": 1, "x": {}}}"#,
            nested(10)
        );
        assert!(super::from_str_at::<crate::model::OrganizationLicenseUsage>(&item, 116).is_ok());
        let e =
            super::from_str_at::<crate::model::OrganizationLicenseUsage>(&item, 117).unwrap_err();
        assert!(super::is_too_deep(&e), "{e}");
        assert_eq!(super::depth(), 0);
    }

    /// Numbers are read as raw values, which `serde_json` hands over as a map: no level.
    #[test]
    fn raw_values_are_no_level() {
        let item = r#"{"organizationUid": "a", "usedPoints": 1.5}"#;
        let org: crate::model::OrganizationLicenseUsage =
            super::from_str_at(item, super::MAX_DEPTH - 1).unwrap();
        assert_eq!(org.used_points.to_string(), "1.5");
        assert!(
            super::from_str_at::<crate::model::OrganizationLicenseUsage>(item, super::MAX_DEPTH)
                .is_err()
        );
    }
}
