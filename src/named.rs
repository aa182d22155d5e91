//! Names in messages and enums chosen by name on the command line (methods,
//! estimators, topologies, formats): names match case-insensitively, and an unknown
//! name gets an error that lists the choices.

/// A short list of names for a message, as every front end shows them: "a, b, c,
/// d, e and 4 more".
pub fn first_few(names: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut s = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        s.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    s
}

/// The value of `all` whose `name` is `s`, ignoring case; `what` names the kind of
/// value in the error.
pub fn parse<T: Copy>(
    s: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
    what: &str,
) -> Result<T, String> {
    all.iter()
        .copied()
        .find(|&v| name(v).eq_ignore_ascii_case(s))
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|&v| name(v)).collect();
            format!("unknown {what} {s:?}; expected one of {}", names.join(", "))
        })
}

/// `Display` and `FromStr` for an enum with an associated `ALL` array and a
/// `name(self) -> &'static str` method.
macro_rules! named_enum {
    ($t:ty, $what:literal) => {
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl std::str::FromStr for $t {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                $crate::named::parse(s, &<$t>::ALL, <$t>::name, $what)
            }
        }
    };
}
pub(crate) use named_enum;

#[cfg(test)]
mod tests {
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Colour {
        Red,
        DarkBlue,
    }

    impl Colour {
        const ALL: [Colour; 2] = [Colour::Red, Colour::DarkBlue];
        fn name(self) -> &'static str {
            match self {
                Colour::Red => "red",
                Colour::DarkBlue => "dark-blue",
            }
        }
    }

    named_enum!(Colour, "colour");

    #[test]
    fn names_round_trip_and_errors_list_choices() {
        assert_eq!("Dark-Blue".parse::<Colour>(), Ok(Colour::DarkBlue));
        assert_eq!(Colour::Red.to_string(), "red");
        let e = "green".parse::<Colour>().unwrap_err();
        assert_eq!(
            e,
            "unknown colour \"green\"; expected one of red, dark-blue"
        );
    }
}
