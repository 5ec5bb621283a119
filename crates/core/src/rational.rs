//! Exact frame rates such as 30000/1001.

use std::fmt;
use std::str::FromStr;

/// A positive rational number, used for frame rates (frames per second).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rational {
    pub num: u32,
    pub den: u32,
}

impl Rational {
    /// `num/den` reduced to lowest terms. Returns `None` if either is zero.
    pub fn new(num: u32, den: u32) -> Option<Rational> {
        if num == 0 || den == 0 {
            return None;
        }
        let g = gcd(num, den);
        Some(Rational {
            num: num / g,
            den: den / g,
        })
    }

    /// An integer rate.
    pub const fn integer(n: u32) -> Rational {
        Rational { num: n, den: 1 }
    }

    pub fn as_f64(self) -> f64 {
        f64::from(self.num) / f64::from(self.den)
    }

    /// The closest rational with a denominator of 1001 or 1 to a float
    /// rate, e.g. 29.97 -> 30000/1001, 25.0 -> 25/1.
    pub fn from_f64(rate: f64) -> Option<Rational> {
        if !(rate.is_finite() && rate > 0.0 && rate < 1.0e6) {
            return None;
        }
        let ntsc = (rate * 1001.0 / 1000.0).round();
        if (ntsc * 1000.0 / 1001.0 - rate).abs() < 0.005 && (rate - rate.round()).abs() > 0.005 {
            return Rational::new(ntsc as u32 * 1000, 1001);
        }
        if (rate - rate.round()).abs() < 1e-6 {
            return Rational::new(rate.round() as u32, 1);
        }
        Rational::new((rate * 1000.0).round() as u32, 1000)
    }
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl fmt::Display for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

/// Error from parsing a [`Rational`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid rate {0:?}: expected N, N/D or a decimal such as 29.97")]
pub struct ParseRationalError(pub String);

impl FromStr for Rational {
    type Err = ParseRationalError;

    /// Accepts `30`, `30000/1001`, `30000:1001` and `29.97`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseRationalError(s.to_owned());
        let s = s.trim();
        if let Some((n, d)) = s.split_once(['/', ':']) {
            let n = n.trim().parse().map_err(|_| err())?;
            let d = d.trim().parse().map_err(|_| err())?;
            return Rational::new(n, d).ok_or_else(err);
        }
        if let Ok(n) = s.parse::<u32>() {
            return Rational::new(n, 1).ok_or_else(err);
        }
        let f: f64 = s.parse().map_err(|_| err())?;
        Rational::from_f64(f).ok_or_else(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reduces() {
        assert_eq!("25".parse::<Rational>().unwrap(), Rational::integer(25));
        assert_eq!(
            "60000/2002".parse::<Rational>().unwrap(),
            Rational::new(30000, 1001).unwrap()
        );
        assert_eq!(
            "29.97".parse::<Rational>().unwrap(),
            Rational::new(30000, 1001).unwrap()
        );
        assert_eq!("12.5".parse::<Rational>().unwrap().to_string(), "25/2");
        assert!("0/1".parse::<Rational>().is_err());
        assert!("x".parse::<Rational>().is_err());
    }
}
