//! `string_enum!`: an enum and its string forms from one table. Each variant is written once with
//! its stored/wire string and its label; `as_str`, `parse`, `label`, `ALL`, `STRS` and serde (which
//! writes the wire string) all come from that line, so the database, the JSON, the form values,
//! the REST API and the UI cannot drift apart.

/// Defines `enum $name` with `Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize`
/// (add more with your own `#[derive]`), one `Variant = "wire" => "Label"` line per variant, and:
/// - `ALL`: the variants in declaration order (the order menus and "one of" messages list them);
/// - `STRS`: their wire strings, in the same order (search fields, the REST API's allowed values);
/// - `as_str()` / `parse()`: the wire string, exact (case-sensitive) both ways;
/// - `label()`: the words the UI shows.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $wire:literal => $label:literal
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $wire)]
                $variant,
            )+
        }

        impl $name {
            pub const ALL: [Self; [$($wire),+].len()] = [$(Self::$variant),+];
            pub const STRS: [&'static str; [$($wire),+].len()] = [$($wire),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)+
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($wire => Some(Self::$variant),)+
                    _ => None,
                }
            }

            pub fn label(self) -> &'static str {
                match self {
                    $(Self::$variant => $label,)+
                }
            }
        }
    };
}

pub(crate) use string_enum;

#[cfg(test)]
mod tests {
    string_enum! {
        /// A test enum with a default and an extra derive.
        #[derive(Default, PartialOrd, Ord)]
        enum Colour {
            #[default]
            Red = "red" => "Red",
            /// Two words.
            DeepBlue = "deep_blue" => "Deep blue",
        }
    }

    #[test]
    fn one_table_gives_every_form() {
        assert_eq!(Colour::ALL, [Colour::Red, Colour::DeepBlue]);
        assert_eq!(Colour::STRS, ["red", "deep_blue"]);
        for c in Colour::ALL {
            assert_eq!(Colour::parse(c.as_str()), Some(c));
            let json = serde_json::to_string(&c).expect("serialises");
            assert_eq!(json, format!("\"{}\"", c.as_str()), "serde writes the wire string");
            assert_eq!(serde_json::from_str::<Colour>(&json).ok(), Some(c));
        }
        assert_eq!(Colour::parse("Deep_Blue"), None, "exact, as the database stores it");
        assert_eq!(Colour::DeepBlue.label(), "Deep blue");
        assert_eq!(Colour::default(), Colour::Red);
        assert!(Colour::Red < Colour::DeepBlue);
    }
}
