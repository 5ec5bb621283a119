//! Recursive-descent parser: tokens to statements.
//!
//! ```text
//! program  := stmt* EOF
//! stmt     := "input" NAME ("," NAME)* ";"
//!           | "param" NAME "=" expr ("in" expr ".." expr)? ";"
//!           | "let" NAME "=" expr ";"
//!           | "output" expr ";"
//! expr     := product (("+" | "-") product)*
//! product  := unary (("*" | "/") unary)*
//! unary    := "-" unary | primary
//! primary  := NUMBER | STRING | COLOUR | NAME | call
//!           | "(" expr ")" | "(" expr ("," expr)+ ","? ")"
//! call     := NAME "(" (arg ("," arg)* ","?)? ")"
//! arg      := expr | NAME ":" expr        (positional ones first)
//! ```
//!
//! Nesting is bounded by [`MAX_DEPTH`] both while descending (so hostile
//! input cannot overflow the stack) and in the height of the tree built
//! (so long operator chains cannot either, later).

use super::ast::{Call, Expr, ExprKind, Name, Stmt};
use super::lexer::{KEYWORDS, Tok, Token};
use super::{Fault, MAX_DEPTH, Span};
use crate::expr::BinOp;

pub(crate) fn parse(source: &str, tokens: &[Token]) -> Result<Vec<Stmt>, Fault> {
    let mut parser = Parser {
        source,
        tokens,
        at: 0,
        depth: 0,
    };
    let mut stmts = Vec::new();
    while parser.peek() != &Tok::Eof {
        stmts.push(parser.stmt()?);
    }
    Ok(stmts)
}

struct Parser<'a> {
    source: &'a str,
    tokens: &'a [Token],
    at: usize,
    /// Current nesting of expressions being parsed.
    depth: u32,
}

impl Parser<'_> {
    fn token(&self) -> &Token {
        // The last token is Eof and is never consumed.
        &self.tokens[self.at.min(self.tokens.len() - 1)]
    }

    fn peek(&self) -> &Tok {
        &self.token().tok
    }

    fn peek2(&self) -> &Tok {
        &self.tokens[(self.at + 1).min(self.tokens.len() - 1)].tok
    }

    fn bump(&mut self) -> Token {
        let token = self.token().clone();
        if token.tok != Tok::Eof {
            self.at += 1;
        }
        token
    }

    /// The end of the last consumed token (where a missing `;` goes).
    fn prev_end(&self) -> usize {
        self.at
            .checked_sub(1)
            .map_or(0, |i| self.tokens[i].span.end)
    }

    /// How the current token reads in a message.
    fn found(&self) -> String {
        let token = self.token();
        match &token.tok {
            Tok::Eof => "the end of the input".into(),
            Tok::Str(_) => "a string".into(),
            _ => format!("`{}`", &self.source[token.span.start..token.span.end]),
        }
    }

    fn unexpected(&self, expected: &str) -> Fault {
        Fault::new(
            self.token().span,
            format!("expected {expected}, found {}", self.found()),
        )
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == tok {
            self.bump();
            true
        } else {
            false
        }
    }

    /// Consumes `tok` or fails with "expected `expected`".
    fn expect(&mut self, tok: &Tok, expected: &str) -> Result<Span, Fault> {
        if self.peek() == tok {
            Ok(self.bump().span)
        } else {
            Err(self.unexpected(expected))
        }
    }

    /// The `;` ending a statement. When the next token is on a later line
    /// or starts a statement, the `;` was most likely forgotten: say so at
    /// the end of the statement rather than at the next one.
    fn end_of_stmt(&mut self) -> Result<(), Fault> {
        if self.eat(&Tok::Semi) {
            return Ok(());
        }
        let end = self.prev_end();
        let next = self.token();
        let newline_between = self.source[end..next.span.start.max(end)].contains('\n');
        let starts_stmt = matches!(&next.tok, Tok::Ident(w) if KEYWORDS[..4].contains(&w.as_str()));
        if next.tok == Tok::Eof || newline_between || starts_stmt {
            Err(Fault::new(
                Span::new(end, end),
                format!(
                    "missing `;` at the end of the statement (found {})",
                    self.found()
                ),
            ))
        } else {
            Err(self.unexpected("`;` or an operator"))
        }
    }

    fn name(&mut self, what: &str) -> Result<Name, Fault> {
        match self.peek() {
            Tok::Ident(text) if !KEYWORDS.contains(&text.as_str()) => {
                let text = text.clone();
                let span = self.bump().span;
                Ok(Name { text, span })
            }
            Tok::Ident(word) => Err(Fault::new(
                self.token().span,
                format!("expected {what}, found the keyword `{word}`"),
            )),
            _ => Err(self.unexpected(what)),
        }
    }

    fn stmt(&mut self) -> Result<Stmt, Fault> {
        let keyword = match self.peek() {
            Tok::Ident(word) if KEYWORDS[..4].contains(&word.as_str()) => word.clone(),
            _ => {
                return Err(self.unexpected("a statement (`input`, `param`, `let` or `output`)"));
            }
        };
        let keyword_span = self.bump().span;
        let stmt = match keyword.as_str() {
            "input" => {
                let mut names = vec![self.name("an input name")?];
                while self.eat(&Tok::Comma) {
                    names.push(self.name("an input name")?);
                }
                Stmt::Input(names)
            }
            "param" => {
                let name = self.name("a parameter name")?;
                self.expect(&Tok::Eq, "`=`")?;
                let default = self.expr()?;
                let range = if matches!(self.peek(), Tok::Ident(w) if w == "in") {
                    self.bump();
                    let lo = self.expr()?;
                    self.expect(&Tok::DotDot, "`..`")?;
                    let hi = self.expr()?;
                    Some((lo, hi))
                } else {
                    None
                };
                Stmt::Param {
                    name,
                    default,
                    range,
                }
            }
            "let" => {
                let name = self.name("a name")?;
                self.expect(&Tok::Eq, "`=`")?;
                let value = self.expr()?;
                Stmt::Let { name, value }
            }
            _ => Stmt::Output {
                keyword: keyword_span,
                value: self.expr()?,
            },
        };
        self.end_of_stmt()?;
        Ok(stmt)
    }

    fn expr(&mut self) -> Result<Expr, Fault> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(too_deep(self.token().span));
        }
        let result = self.sum();
        self.depth -= 1;
        result
    }

    fn sum(&mut self) -> Result<Expr, Fault> {
        let mut lhs = self.product()?;
        loop {
            let op = match self.peek() {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.product()?;
            lhs = binary(op, lhs, rhs)?;
        }
    }

    fn product(&mut self) -> Result<Expr, Fault> {
        let mut lhs = self.unary()?;
        loop {
            let op = match self.peek() {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.unary()?;
            lhs = binary(op, lhs, rhs)?;
        }
    }

    fn unary(&mut self) -> Result<Expr, Fault> {
        if self.peek() != &Tok::Minus {
            return self.primary();
        }
        let minus = self.bump().span;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(too_deep(minus));
        }
        let operand = self.unary();
        self.depth -= 1;
        let operand = operand?;
        let span = minus.to(operand.span);
        checked(Expr {
            height: operand.height + 1,
            kind: ExprKind::Neg(Box::new(operand)),
            span,
        })
    }

    fn primary(&mut self) -> Result<Expr, Fault> {
        let token = self.token().clone();
        let leaf = |kind| Ok(Expr::leaf(kind, token.span));
        match token.tok {
            Tok::Number(v) => {
                self.bump();
                leaf(ExprKind::Number(v))
            }
            Tok::Str(s) => {
                self.bump();
                leaf(ExprKind::Str(s))
            }
            Tok::Color(c) => {
                self.bump();
                leaf(ExprKind::Color(c))
            }
            Tok::Ident(word) if KEYWORDS.contains(&word.as_str()) => Err(Fault::new(
                token.span,
                format!("expected an expression, found the keyword `{word}`"),
            )),
            Tok::Ident(_) if self.peek2() == &Tok::LParen => self.call(),
            Tok::Ident(word) => {
                self.bump();
                leaf(ExprKind::Name(word))
            }
            Tok::LParen => self.parens(),
            _ => Err(self.unexpected("an expression")),
        }
    }

    /// `( expr )` or a tuple.
    fn parens(&mut self) -> Result<Expr, Fault> {
        let open = self.bump().span;
        let first = self.expr()?;
        if self.peek() != &Tok::Comma {
            let close = self.expect(&Tok::RParen, "`)`")?;
            // The span takes in the parentheses, for messages.
            return Ok(Expr {
                span: open.to(close),
                ..first
            });
        }
        let mut items = vec![first];
        while self.eat(&Tok::Comma) {
            if self.peek() == &Tok::RParen {
                break;
            }
            items.push(self.expr()?);
        }
        let close = self.expect(&Tok::RParen, "`,` or `)`")?;
        let span = open.to(close);
        let height = Expr::height_over(&items);
        checked(Expr {
            kind: ExprKind::Tuple(items),
            span,
            height,
        })
    }

    fn call(&mut self) -> Result<Expr, Fault> {
        let name = self.name("a function name")?;
        self.bump(); // (
        let mut call = Call {
            name,
            positional: Vec::new(),
            named: Vec::new(),
        };
        while self.peek() != &Tok::RParen {
            if matches!(self.peek(), Tok::Ident(_)) && self.peek2() == &Tok::Colon {
                let arg_name = self.name("an argument name")?;
                self.bump(); // :
                call.named.push((arg_name, self.expr()?));
            } else {
                let start = self.token().span;
                let arg = self.expr()?;
                if !call.named.is_empty() {
                    return Err(Fault::new(
                        start.to(arg.span),
                        "positional argument after named arguments",
                    ));
                }
                call.positional.push(arg);
            }
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        let close = self.expect(&Tok::RParen, "`,` or `)`")?;
        let span = call.name.span.to(close);
        let height = Expr::height_over(call.args());
        checked(Expr {
            kind: ExprKind::Call(call),
            span,
            height,
        })
    }
}

fn binary(op: BinOp, lhs: Expr, rhs: Expr) -> Result<Expr, Fault> {
    let span = lhs.span.to(rhs.span);
    let height = 1 + lhs.height.max(rhs.height);
    checked(Expr {
        kind: ExprKind::Bin(op, Box::new(lhs), Box::new(rhs)),
        span,
        height,
    })
}

fn checked(expr: Expr) -> Result<Expr, Fault> {
    if expr.height > MAX_DEPTH {
        Err(too_deep(expr.span))
    } else {
        Ok(expr)
    }
}

fn too_deep(span: Span) -> Fault {
    Fault::new(
        span,
        format!("expression nests too deeply (more than {MAX_DEPTH} levels)"),
    )
}
