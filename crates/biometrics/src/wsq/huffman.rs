//! Huffman tables: building one from symbol counts (encoder) and decoding with one (decoder).
//!
//! FBI IAFIS-IC-0110 (v3) Annex C follows ITU-T T.81 (JPEG) Annex K.2/K.3 and C: code sizes
//! come from repeatedly merging the two least frequent entries (ties broken towards the larger
//! symbol value), a reserved extra symbol of count 1 keeps the all-ones code word unused, code
//! lengths above 16 are folded back (Figure K.3), and the table is transmitted as the number of
//! codes of each length 1–16 followed by the symbols in code order. Codes are canonical
//! (T.81 Annex C: consecutive values within a length, shifted left between lengths).

use super::WsqError;
use super::tables::{HuffmanSpec, MAX_CODE_LENGTH};

/// Number of symbol values (the reserved extra symbol is index 256).
const SYMBOLS: usize = 256;

/// Builds the DHT content for a block from the counts of each symbol.
pub(crate) fn build_spec(id: u8, counts: &[u32; SYMBOLS]) -> HuffmanSpec {
    let mut freq: Vec<u64> = counts.iter().map(|&c| u64::from(c)).collect();
    freq.push(1); // the reserved symbol
    let used = counts.iter().filter(|&&c| c > 0).count();
    if used == 0 {
        // An empty block still needs a table for its SOB; one code that is never emitted.
        let mut bits = [0u8; MAX_CODE_LENGTH];
        bits[0] = 1;
        return HuffmanSpec {
            id,
            bits,
            values: vec![1],
        };
    }
    let sizes = code_sizes(&mut freq);
    let mut bits = [0u32; 33];
    for &size in &sizes {
        if size > 0
            && let Some(b) = bits.get_mut(size)
        {
            *b += 1;
        }
    }
    limit_lengths(&mut bits);
    let mut table_bits = [0u8; MAX_CODE_LENGTH];
    for (out, &b) in table_bits.iter_mut().zip(bits.iter().skip(1)) {
        *out = u8::try_from(b).unwrap_or(u8::MAX);
    }
    // Symbols ordered by their (unlimited) code size, then by value (T.81 Figure K.4).
    let mut values = Vec::with_capacity(used);
    for size in 1..=32 {
        for (symbol, &s) in sizes.iter().enumerate().take(SYMBOLS) {
            if s == size {
                values.push(u8::try_from(symbol).unwrap_or(u8::MAX));
            }
        }
    }
    HuffmanSpec {
        id,
        bits: table_bits,
        values,
    }
}

/// Code size of every symbol (T.81 Figure K.1); `freq` is consumed.
fn code_sizes(freq: &mut [u64]) -> Vec<usize> {
    let n = freq.len();
    let mut size = vec![0usize; n];
    let mut others: Vec<Option<usize>> = vec![None; n];
    loop {
        // Least frequency, then the next least; ties go to the larger symbol value.
        let mut v1: Option<usize> = None;
        let mut v2: Option<usize> = None;
        for (v, &f) in freq.iter().enumerate() {
            if f == 0 {
                continue;
            }
            let f1 = v1.and_then(|i| freq.get(i)).copied();
            let f2 = v2.and_then(|i| freq.get(i)).copied();
            if f1.is_none_or(|f1| f <= f1) {
                v2 = v1;
                v1 = Some(v);
            } else if f2.is_none_or(|f2| f <= f2) {
                v2 = Some(v);
            }
        }
        let (Some(mut a), Some(mut b)) = (v1, v2) else {
            return size;
        };
        let merged = freq.get(a).copied().unwrap_or(0) + freq.get(b).copied().unwrap_or(0);
        if let Some(f) = freq.get_mut(a) {
            *f = merged;
        }
        if let Some(f) = freq.get_mut(b) {
            *f = 0;
        }
        // Every symbol in the chains of a and b gets one bit longer; b's chain joins a's.
        loop {
            if let Some(s) = size.get_mut(a) {
                *s += 1;
            }
            match others.get(a).copied().flatten() {
                Some(next) => a = next,
                None => break,
            }
        }
        if let Some(o) = others.get_mut(a) {
            *o = Some(b);
        }
        loop {
            if let Some(s) = size.get_mut(b) {
                *s += 1;
            }
            match others.get(b).copied().flatten() {
                Some(next) => b = next,
                None => break,
            }
        }
    }
}

/// Folds code lengths above 16 (T.81 Figure K.3) and removes the reserved code word.
fn limit_lengths(bits: &mut [u32; 33]) {
    let mut i = 32;
    while i > MAX_CODE_LENGTH {
        while bits.get(i).copied().unwrap_or(0) > 0 {
            // Find the longest shorter length with a code to split.
            let mut j = i - 2;
            while j > 0 && bits.get(j).copied().unwrap_or(0) == 0 {
                j -= 1;
            }
            let mut add = |k: usize, delta: i64| {
                if let Some(b) = bits.get_mut(k) {
                    *b = u32::try_from(i64::from(*b) + delta).unwrap_or(0);
                }
            };
            add(i, -2);
            add(i - 1, 1);
            add(j + 1, 2);
            add(j, -1);
        }
        i -= 1;
    }
    while i > 0 && bits.get(i).copied().unwrap_or(0) == 0 {
        i -= 1;
    }
    if let Some(b) = bits.get_mut(i) {
        *b = b.saturating_sub(1);
    }
}

/// Canonical (code, length) of every symbol of a table; length 0 for absent symbols.
pub(crate) fn encoder_codes(spec: &HuffmanSpec) -> [(u16, u8); SYMBOLS] {
    let mut codes = [(0u16, 0u8); SYMBOLS];
    let mut code: u32 = 0;
    let mut values = spec.values.iter();
    for (length, &count) in (1u8..).zip(&spec.bits) {
        for _ in 0..count {
            if let Some(&symbol) = values.next()
                && let Some(slot) = codes.get_mut(usize::from(symbol))
            {
                *slot = (u16::try_from(code).unwrap_or(u16::MAX), length);
            }
            code += 1;
        }
        code <<= 1;
    }
    codes
}

/// Bits resolved by one table lookup.
const LOOKUP_BITS: u32 = 10;

/// A Huffman table prepared for decoding.
#[derive(Clone, Debug)]
pub(crate) struct Decoder {
    /// Indexed by the next `LOOKUP_BITS` bits: (symbol, code length), length 0 when the code is
    /// longer than the lookup.
    lookup: Vec<(u8, u8)>,
    /// For lengths 1–16: largest code of that length (−1 if none), first code and index of
    /// its symbol in `values`.
    max_code: [i32; MAX_CODE_LENGTH + 1],
    min_code: [i32; MAX_CODE_LENGTH + 1],
    first_index: [usize; MAX_CODE_LENGTH + 1],
    values: Vec<u8>,
}

/// Result of decoding one symbol.
pub(crate) enum Decoded {
    Symbol { symbol: u8, length: u32 },
    Invalid,
}

impl Decoder {
    /// Prepares a DHT table; `offset` locates the DHT in errors.
    pub(crate) fn new(spec: &HuffmanSpec, offset: usize) -> Result<Self, WsqError> {
        let mut lookup = vec![(0u8, 0u8); 1 << LOOKUP_BITS];
        let mut max_code = [-1i32; MAX_CODE_LENGTH + 1];
        let mut min_code = [0i32; MAX_CODE_LENGTH + 1];
        let mut first_index = [0usize; MAX_CODE_LENGTH + 1];
        let mut code: u32 = 0;
        let mut index = 0usize;
        for (length, &count) in (1u32..).zip(&spec.bits) {
            let count = u32::from(count);
            if code + count > (1 << length) {
                return Err(WsqError::malformed(
                    offset,
                    format!(
                        "Huffman table {} assigns more codes of length {length} than exist",
                        spec.id
                    ),
                ));
            }
            let slot = usize::try_from(length).unwrap_or(0);
            if count > 0
                && let (Some(max), Some(min), Some(first)) = (
                    max_code.get_mut(slot),
                    min_code.get_mut(slot),
                    first_index.get_mut(slot),
                )
            {
                *min = i32::try_from(code).unwrap_or(i32::MAX);
                *max = i32::try_from(code + count - 1).unwrap_or(i32::MAX);
                *first = index;
            }
            for c in code..code + count {
                let symbol = spec.values.get(index).copied().unwrap_or(0);
                if length <= LOOKUP_BITS {
                    let shift = LOOKUP_BITS - length;
                    let start = usize::try_from(c << shift).unwrap_or(0);
                    let end = usize::try_from((c + 1) << shift).unwrap_or(0);
                    for entry in lookup.get_mut(start..end).unwrap_or_default() {
                        *entry = (symbol, u8::try_from(length).unwrap_or(0));
                    }
                }
                index += 1;
            }
            code = (code + count) << 1;
        }
        Ok(Self {
            lookup,
            max_code,
            min_code,
            first_index,
            values: spec.values.clone(),
        })
    }

    /// Decodes the symbol at the top of `peek` (the next 16 bits, MSB first).
    #[inline]
    pub(crate) fn decode(&self, peek: u32) -> Decoded {
        let top = usize::try_from(peek >> (16 - LOOKUP_BITS)).unwrap_or(0);
        if let Some(&(symbol, length)) = self.lookup.get(top)
            && length > 0
        {
            return Decoded::Symbol {
                symbol,
                length: u32::from(length),
            };
        }
        for length in (LOOKUP_BITS + 1)..=16 {
            let code = i32::try_from(peek >> (16 - length)).unwrap_or(i32::MAX);
            let slot = usize::try_from(length).unwrap_or(0);
            let max = self.max_code.get(slot).copied().unwrap_or(-1);
            if code <= max {
                let min = self.min_code.get(slot).copied().unwrap_or(0);
                let first = self.first_index.get(slot).copied().unwrap_or(0);
                let index = first + usize::try_from(code - min).unwrap_or(0);
                return match self.values.get(index) {
                    Some(&symbol) => Decoded::Symbol { symbol, length },
                    None => Decoded::Invalid,
                };
            }
        }
        Decoded::Invalid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kraft_sum(spec: &HuffmanSpec) -> f64 {
        spec.bits
            .iter()
            .enumerate()
            .map(|(i, &b)| f64::from(b) / f64::from(1u32 << (i + 1)))
            .sum()
    }

    #[test]
    fn jpeg_procedure_gives_the_expected_lengths() {
        // Counts 40, 30, 20, 10 (+ reserved 1): optimal lengths 1, 2, 3, 4 with the reserved
        // symbol taking the other length-4 slot, which is then removed.
        let mut counts = [0u32; SYMBOLS];
        counts[101] = 40;
        counts[7] = 30;
        counts[180] = 20;
        counts[3] = 10;
        let spec = build_spec(0, &counts);
        assert_eq!(&spec.bits[..4], &[1, 1, 1, 1]);
        assert_eq!(spec.values, vec![101, 7, 180, 3]);
        let codes = encoder_codes(&spec);
        assert_eq!(codes[101], (0b0, 1));
        assert_eq!(codes[7], (0b10, 2));
        assert_eq!(codes[180], (0b110, 3));
        assert_eq!(codes[3], (0b1110, 4));
    }

    #[test]
    fn lengths_are_limited_to_sixteen_bits_and_all_ones_stays_free() {
        // Fibonacci counts force a degenerate tree deeper than 16 levels.
        let mut counts = [0u32; SYMBOLS];
        let (mut a, mut b) = (1u32, 1u32);
        for c in counts.iter_mut().take(30) {
            *c = a;
            (a, b) = (b, a + b);
        }
        let spec = build_spec(1, &counts);
        assert_eq!(spec.values.len(), 30);
        assert_eq!(spec.bits.iter().map(|&b| usize::from(b)).sum::<usize>(), 30);
        assert!(kraft_sum(&spec) < 1.0);
        let codes = encoder_codes(&spec);
        for &(code, length) in codes.iter().filter(|(_, l)| *l > 0) {
            assert!(length <= 16);
            assert_ne!(u32::from(code), (1u32 << length) - 1, "all-ones code used");
        }
    }

    #[test]
    #[expect(
        clippy::cast_possible_truncation,
        reason = "the synthetic counts are below 1000"
    )]
    fn decoder_inverts_encoder_codes() {
        let mut counts = [0u32; SYMBOLS];
        for (i, c) in counts.iter_mut().enumerate() {
            *c = ((i * 7919) % 1000) as u32 + u32::from(i % 3 == 0);
        }
        let spec = build_spec(2, &counts);
        let decoder = Decoder::new(&spec, 0).unwrap();
        for (symbol, &(code, length)) in encoder_codes(&spec).iter().enumerate() {
            if length == 0 {
                continue;
            }
            let rest = 16 - u32::from(length);
            let peek = (u32::from(code) << rest) | ((1u32 << rest) - 1);
            match decoder.decode(peek) {
                Decoded::Symbol {
                    symbol: s,
                    length: l,
                } => {
                    assert_eq!((usize::from(s), l), (symbol, u32::from(length)));
                }
                Decoded::Invalid => panic!("symbol {symbol} not decodable"),
            }
        }
    }

    #[test]
    fn oversubscribed_tables_are_rejected() {
        let mut bits = [0u8; MAX_CODE_LENGTH];
        bits[0] = 3;
        let spec = HuffmanSpec {
            id: 0,
            bits,
            values: vec![1, 2, 3],
        };
        assert!(matches!(
            Decoder::new(&spec, 77),
            Err(WsqError::Malformed { offset: 77, .. })
        ));
    }
}
