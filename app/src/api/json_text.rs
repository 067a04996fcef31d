//! The server functions' answers (and `AppError`) as JSON, read in the browser from text.
//!
//! Leptos's own `Json` output decodes with `serde_json::from_slice`, while a resource's
//! server-rendered value is decoded with `serde_json::from_str` (its `JsonSerdeCodec`). The two use
//! different reader types, so every answer type's `Deserialize` was compiled into the browser
//! bundle twice; reading the answer as text compiles it once. The bytes on the wire are the same.

use leptos::server_fn::codec::Post;
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::de::{DeserializeOwned, Error as _};
use serde::Serialize;

/// JSON, decoded from UTF-8 text.
pub struct JsonTextEncoding;

impl ContentType for JsonTextEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonTextEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonTextEncoding {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonTextEncoding {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(serde_json::Error::custom)?;
        serde_json::from_str(text)
    }
}

/// A server function's output encoding: `#[server(…, output = JsonText)]`.
pub type JsonText = Post<JsonTextEncoding>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{AppError, FieldError};

    #[test]
    fn answers_round_trip_as_the_same_json_leptos_sends() {
        let error = AppError::Validation {
            errors: vec![FieldError::new("name", "A name is required.")],
        };
        let bytes = <JsonTextEncoding as Encodes<AppError>>::encode(&error).expect("encode");
        assert_eq!(bytes, Bytes::from(serde_json::to_vec(&error).expect("serde_json")));
        let back: AppError = <JsonTextEncoding as Decodes<AppError>>::decode(bytes).expect("decode");
        assert_eq!(back, error);
    }

    #[test]
    fn an_answer_that_is_not_utf8_is_an_error_not_a_panic() {
        let decoded = <JsonTextEncoding as Decodes<Vec<String>>>::decode(Bytes::from_static(b"[\"\xff\"]"));
        assert!(decoded.is_err());
    }
}
