//! The data of a part of the page whose code is a wasm chunk's (a dialog), kept as JSON text by the
//! resource that loads it.
//!
//! The part makes that resource when it is drawn, not later inside a boundary of its own (one made
//! inside a boundary that resolves later does not hydrate: README, Benchmarks, Bundle). Every
//! resource type is a copy of the framework's resource code, and of its value's deserialiser for
//! hydration, in the wasm part that makes it. Kept as text, the parts share the copy the main part
//! has anyway (`Result<String, AppError>`): the chunk loads the data and writes it
//! (`load_as_text`) and reads it back where it draws the dialog (`from_text`). The server does the
//! same in one process (a few microseconds).

use crate::error::AppError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;

/// The data, loading, as a split function returns it (split functions cannot be `async`).
pub type DataAsText = Pin<Box<dyn Future<Output = Result<String, AppError>> + Send>>;

/// `load`'s value as JSON text.
pub fn load_as_text<T: Serialize>(load: impl Future<Output = Result<T, AppError>> + Send + 'static) -> DataAsText {
    Box::pin(async move {
        let value = load.await?;
        // Serialising these plain data types cannot fail; if it ever did, it is Vireo's bug.
        serde_json::to_string(&value).map_err(|_| AppError::Internal)
    })
}

/// The value `load_as_text` wrote.
pub fn from_text<T: DeserializeOwned>(text: &str) -> Result<T, AppError> {
    serde_json::from_str(text).map_err(|e| AppError::Transport {
        message: format!("the dialog's data did not decode: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Data {
        name: String,
        ids: Vec<u32>,
    }

    #[test]
    fn a_value_comes_back_as_it_was_written() {
        let value = Data {
            name: "vm \"1\" <é>".into(),
            ids: vec![1, 2],
        };
        let text = futures::executor::block_on(load_as_text(async { Ok(value) })).expect("written");
        assert_eq!(
            from_text::<Data>(&text),
            Ok(Data {
                name: "vm \"1\" <é>".into(),
                ids: vec![1, 2]
            })
        );
    }

    #[test]
    fn a_failed_load_stays_its_error() {
        let failed = futures::executor::block_on(load_as_text(async { Err::<Data, _>(AppError::Forbidden) }));
        assert_eq!(failed, Err(AppError::Forbidden));
    }

    #[test]
    fn text_that_is_not_the_type_is_a_transport_error_not_a_panic() {
        let err = from_text::<Data>("{\"name\": 3}").expect_err("wrong type");
        assert!(matches!(err, AppError::Transport { .. }), "{err:?}");
        assert!(from_text::<Data>("").is_err());
    }
}
