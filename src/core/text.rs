//! Text built from its parts (messages, lock and holder names) rather than
//! written with `format!`: formatting links Rust's `core::fmt` machinery
//! into the WebAssembly build, which then costs more than all the messages.

/// `parts`, one after the other (what `parts.concat()` does, with less code
/// in the WebAssembly build).
pub fn join(parts: &[&str]) -> String {
    let mut joined = String::with_capacity(parts.iter().map(|part| part.len()).sum());
    for part in parts {
        joined.push_str(part);
    }
    joined
}

/// `n` in decimal.
pub fn decimal(mut n: u64) -> String {
    // u64::MAX has 20 digits; they are written from the last.
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits[start..]
        .iter()
        .map(|&digit| char::from(digit))
        .collect()
}

/// A number for a message, without pulling float formatting into the
/// WebAssembly build: whole numbers as integers, anything else by kind.
pub fn number_text(n: f64) -> String {
    if n.is_nan() {
        "NaN".to_owned()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else if n.fract() != 0.0 {
        "a fractional number".to_owned()
    } else if n.abs() < 9.2e18 {
        let whole = n as i64;
        let sign = if whole < 0 { "-" } else { "" };
        join(&[sign, &decimal(whole.unsigned_abs())])
    } else {
        "a number beyond 2^63".to_owned()
    }
}
