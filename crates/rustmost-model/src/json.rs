//! Request bodies decoded by Go's `encoding/json` rules where serde's differ: a `null` member
//! leaves the field at its zero value and a repeated key keeps its last value (serde refuses
//! both for a struct), and an array is never a struct (serde fills a struct from an array by
//! position). A member of the wrong type stays an error and unknown members stay ignored, as
//! in both.

use serde::de::DeserializeOwned;
use serde_json::Value;

/// Decodes `body` into `T` as `json.NewDecoder(r.Body).Decode(&t)` would.
pub fn from_slice<T: DeserializeOwned>(body: &[u8]) -> Result<T, serde_json::Error> {
    match serde_json::from_slice(body) {
        Ok(t) => {
            if body.trim_ascii_start().starts_with(b"[") {
                refuse_array_as_object::<T>()?;
            }
            Ok(t)
        }
        Err(first) => match serde_json::from_slice::<Value>(body) {
            Ok(v @ Value::Object(_)) => from_object(v),
            _ => Err(first),
        },
    }
}

/// [`from_slice`] for an already parsed value (a member of a larger body).
pub fn from_value<T: DeserializeOwned>(v: Value) -> Result<T, serde_json::Error> {
    match serde_json::from_value(v.clone()) {
        Ok(t) => {
            if v.is_array() {
                refuse_array_as_object::<T>()?;
            }
            Ok(t)
        }
        Err(first) if v.is_object() => from_object(v).map_err(|_| first),
        Err(first) => Err(first),
    }
}

/// `deserialize_with` for a struct member of a body, so the rules above hold inside it too.
pub fn nested<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    use serde::Deserialize;
    from_value(Value::deserialize(d)?).map_err(serde::de::Error::custom)
}

/// A target that an empty object also decodes to is a struct (or a map): Go refuses to fill
/// one from an array.
fn refuse_array_as_object<T: DeserializeOwned>() -> Result<(), serde_json::Error> {
    if serde_json::from_slice::<T>(b"{}").is_ok() {
        return Err(serde::de::Error::custom(
            "json: cannot unmarshal array into a Go value of type object",
        ));
    }
    Ok(())
}

/// Retries an object without its `null` members: for a struct whose fields default, that is
/// Go's "null leaves the zero value". Parsing into a `Value` first already kept the last of
/// any repeated key.
fn from_object<T: DeserializeOwned>(v: Value) -> Result<T, serde_json::Error> {
    let Value::Object(mut o) = v else {
        return serde_json::from_value(v);
    };
    o.retain(|_, m| !m.is_null());
    serde_json::from_value(Value::Object(o))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default)]
    struct T {
        a: String,
        n: i64,
        b: bool,
        list: Vec<String>,
    }

    #[test]
    fn null_is_the_zero_value_and_last_key_wins() {
        let t: T = from_slice(br#"{"a":null,"n":null,"b":null,"list":null,"x":1}"#).unwrap();
        assert_eq!(t, T::default());
        let t: T = from_slice(br#"{"a":"1","a":"2"}"#).unwrap();
        assert_eq!(t.a, "2");
        let t: T = from_value(serde_json::json!({"a": null, "n": 3})).unwrap();
        assert_eq!(t.n, 3);
        let list: Vec<String> = from_slice(br#"["a","b"]"#).unwrap();
        assert_eq!(list, ["a", "b"]);
        assert!(from_value::<T>(serde_json::json!([])).is_err());
    }

    #[test]
    fn wrong_types_stay_errors() {
        for body in [
            &br#"{"a":5}"#[..],
            br#"{"n":"5"}"#,
            br#"{"n":1.5}"#,
            br#"{"b":"true"}"#,
            br#"{"list":"x"}"#,
            br#"{"a":null,"n":"x"}"#,
            br#"[]"#,
            br#" ["x", 5, true, []]"#,
            br#""x""#,
            br#"{"#,
            b"",
        ] {
            assert!(
                from_slice::<T>(body).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
