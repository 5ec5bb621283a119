//! Tokens of the effect language.
//!
//! The lexer works on bytes of UTF-8 text and keeps byte spans; the
//! caller turns spans into lines and columns only when it reports an
//! error. Only strings and comments may hold non-ASCII characters.

use super::{Fault, Span};
use crate::expr::Rgba;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    /// A name or keyword (`input`, `param`, `let`, `output`, `in`).
    Ident(String),
    Number(f64),
    /// A string with its escapes resolved.
    Str(String),
    Color(Rgba),
    LParen,
    RParen,
    Comma,
    Semi,
    Colon,
    Eq,
    Plus,
    Minus,
    Star,
    Slash,
    DotDot,
    Eof,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub span: Span,
}

/// Words that start statements or ranges; they cannot name anything.
pub(crate) const KEYWORDS: [&str; 5] = ["input", "param", "let", "output", "in"];

/// Splits `source` into tokens, the last one [`Tok::Eof`].
pub(crate) fn tokenize(source: &str) -> Result<Vec<Token>, Fault> {
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let c = bytes[i];
        let single = |tok| (tok, start + 1);
        let (tok, end) = match c {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'#' => {
                if bytes.get(i + 1).is_some_and(u8::is_ascii_alphanumeric) {
                    let end = scan_while(bytes, i + 1, |b| b.is_ascii_alphanumeric());
                    (colour(source, start, end)?, end)
                } else {
                    // A comment, to the end of the line.
                    i = scan_while(bytes, i, |b| b != b'\n');
                    continue;
                }
            }
            b'"' => string(source, start)?,
            b'0'..=b'9' => number(source, start)?,
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let end = scan_while(bytes, i, |b| b.is_ascii_alphanumeric() || b == b'_');
                (Tok::Ident(source[start..end].to_string()), end)
            }
            b'(' => single(Tok::LParen),
            b')' => single(Tok::RParen),
            b',' => single(Tok::Comma),
            b';' => single(Tok::Semi),
            b':' => single(Tok::Colon),
            b'=' => single(Tok::Eq),
            b'+' => single(Tok::Plus),
            b'-' => single(Tok::Minus),
            b'*' => single(Tok::Star),
            b'/' => single(Tok::Slash),
            b'.' if bytes.get(i + 1) == Some(&b'.') => (Tok::DotDot, start + 2),
            _ => {
                let ch = source[start..].chars().next().unwrap_or('?');
                let end = start + ch.len_utf8();
                let shown = if ch.is_control() || ch.is_whitespace() {
                    format!("{ch:?}")
                } else {
                    format!("`{ch}`")
                };
                let hint = if ch == '.' {
                    " (write numbers as `0.5`, ranges as `0..1`)"
                } else {
                    ""
                };
                return Err(Fault::new(
                    Span::new(start, end),
                    format!("unexpected character {shown}{hint}"),
                ));
            }
        };
        tokens.push(Token {
            tok,
            span: Span::new(start, end),
        });
        i = end;
    }
    // The end is reported just after the last token, not on trailing
    // blank lines or comments.
    let end = tokens.last().map_or(0, |t| t.span.end);
    tokens.push(Token {
        tok: Tok::Eof,
        span: Span::new(end, end),
    });
    Ok(tokens)
}

fn scan_while(bytes: &[u8], mut i: usize, keep: impl Fn(u8) -> bool) -> usize {
    while i < bytes.len() && keep(bytes[i]) {
        i += 1;
    }
    i
}

/// `#` then letters and digits: `#rrggbb` or `#rrggbbaa`.
fn colour(source: &str, start: usize, end: usize) -> Result<Tok, Fault> {
    let text = &source[start..end];
    Rgba::parse_hex(text).map(Tok::Color).ok_or_else(|| {
        Fault::new(
            Span::new(start, end),
            format!(
                "bad colour literal `{text}`: write #rrggbb or #rrggbbaa in hex \
                 (a comment is `#` followed by a space)"
            ),
        )
    })
}

/// Digits, an optional fraction and an optional exponent. A number
/// running into letters (`12px`) is an error rather than two tokens.
fn number(source: &str, start: usize) -> Result<(Tok, usize), Fault> {
    let bytes = source.as_bytes();
    let digit = |b: u8| b.is_ascii_digit();
    let mut end = scan_while(bytes, start, digit);
    if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
        end = scan_while(bytes, end + 1, digit);
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let mut exp = end + 1;
        if matches!(bytes.get(exp), Some(b'+' | b'-')) {
            exp += 1;
        }
        if bytes.get(exp).is_some_and(u8::is_ascii_digit) {
            end = scan_while(bytes, exp, digit);
        }
    }
    let tail = scan_while(bytes, end, |b| b.is_ascii_alphanumeric() || b == b'_');
    if tail > end {
        return Err(Fault::new(
            Span::new(start, tail),
            format!("bad number `{}`", &source[start..tail]),
        ));
    }
    let text = &source[start..end];
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok((Tok::Number(v), end)),
        _ => Err(Fault::new(
            Span::new(start, end),
            format!("number `{text}` is too large"),
        )),
    }
}

/// A string from the opening quote at `start`: escapes `\"` and `\\`,
/// no line breaks.
fn string(source: &str, start: usize) -> Result<(Tok, usize), Fault> {
    let mut text = String::new();
    let mut chars = source[start + 1..].char_indices();
    let unterminated = || {
        Fault::new(
            Span::new(start, start + 1),
            "unterminated string (a string ends with `\"` on the same line)",
        )
    };
    while let Some((off, ch)) = chars.next() {
        let at = start + 1 + off;
        match ch {
            '"' => return Ok((Tok::Str(text), at + 1)),
            '\n' => return Err(unterminated()),
            '\\' => match chars.next() {
                Some((_, c @ ('"' | '\\'))) => text.push(c),
                Some((_, '\n')) | None => return Err(unterminated()),
                Some((_, c)) => {
                    return Err(Fault::new(
                        Span::new(at, at + 1 + c.len_utf8()),
                        format!(
                            "unknown escape `\\{c}` in a string (only `\\\"` and `\\\\` are escapes)"
                        ),
                    ));
                }
            },
            c => text.push(c),
        }
    }
    Err(unterminated())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(source: &str) -> Vec<Tok> {
        tokenize(source)
            .unwrap()
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    #[test]
    fn ranges_numbers_and_colours() {
        assert_eq!(
            toks("0..1 0.5..2.5e1 #00ff00 # note"),
            vec![
                Tok::Number(0.0),
                Tok::DotDot,
                Tok::Number(1.0),
                Tok::Number(0.5),
                Tok::DotDot,
                Tok::Number(25.0),
                Tok::Color(Rgba::opaque(0.0, 255.0, 0.0)),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn strings_with_escapes() {
        assert_eq!(
            toks(r#""a \"b\" \\ é""#),
            vec![Tok::Str("a \"b\" \\ é".into()), Tok::Eof]
        );
        assert!(tokenize("\"open").is_err());
        assert!(tokenize("\"line\nbreak\"").is_err());
        assert!(tokenize(r#""\n""#).is_err());
    }

    #[test]
    fn bad_tokens() {
        assert_eq!(tokenize("#12345").unwrap_err().span, Span::new(0, 6));
        assert_eq!(tokenize("x = 12px").unwrap_err().span, Span::new(4, 8));
        assert_eq!(tokenize("a é").unwrap_err().span, Span::new(2, 4));
        assert!(tokenize("1e999").is_err());
    }
}
