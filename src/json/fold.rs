//! Case folding for matching, without linking the standard library's 11 KB lowercase table.
//!
//! `char::to_lowercase` pulls a table of about 1,400 (char, char) pairs into the wasm module. The same
//! mapping fits in 185 runs of code points that share one offset, with a step of 1 or 2 (alternating
//! upper/lower pairs). `tests::matches_the_standard_library` checks every code point against std.

/// Runs of uppercase code points, packed: `(start << 8 | count - 1, offset << 1 | step_is_two)`.
const RUNS: [(u32, i32); 185] = [
    (0x4119, 64),
    (0xc016, 64),
    (0xd806, 64),
    (0x10017, 3),
    (0x13202, 3),
    (0x13907, 3),
    (0x14a16, 3),
    (0x17800, -242),
    (0x17902, 3),
    (0x18100, 420),
    (0x18201, 3),
    (0x18600, 412),
    (0x18700, 2),
    (0x18901, 410),
    (0x18b00, 2),
    (0x18e00, 158),
    (0x18f00, 404),
    (0x19000, 406),
    (0x19100, 2),
    (0x19300, 410),
    (0x19400, 414),
    (0x19600, 422),
    (0x19700, 418),
    (0x19800, 2),
    (0x19c00, 422),
    (0x19d00, 426),
    (0x19f00, 428),
    (0x1a002, 3),
    (0x1a600, 436),
    (0x1a700, 2),
    (0x1a900, 436),
    (0x1ac00, 2),
    (0x1ae00, 436),
    (0x1af00, 2),
    (0x1b101, 434),
    (0x1b301, 3),
    (0x1b700, 438),
    (0x1b800, 2),
    (0x1bc00, 2),
    (0x1c400, 4),
    (0x1c500, 2),
    (0x1c700, 4),
    (0x1c800, 2),
    (0x1ca00, 4),
    (0x1cb08, 3),
    (0x1de08, 3),
    (0x1f100, 4),
    (0x1f201, 3),
    (0x1f600, -194),
    (0x1f700, -112),
    (0x1f813, 3),
    (0x22000, -260),
    (0x22208, 3),
    (0x23a00, 21590),
    (0x23b00, 2),
    (0x23d00, -326),
    (0x23e00, 21584),
    (0x24100, 2),
    (0x24300, -390),
    (0x24400, 138),
    (0x24500, 142),
    (0x24604, 3),
    (0x37001, 3),
    (0x37600, 2),
    (0x37f00, 232),
    (0x38600, 76),
    (0x38802, 74),
    (0x38c00, 128),
    (0x38e01, 126),
    (0x39110, 64),
    (0x3a308, 64),
    (0x3cf00, 16),
    (0x3d80b, 3),
    (0x3f400, -120),
    (0x3f700, 2),
    (0x3f900, -14),
    (0x3fa00, 2),
    (0x3fd02, -260),
    (0x4000f, 160),
    (0x4101f, 64),
    (0x46010, 3),
    (0x48a1a, 3),
    (0x4c000, 30),
    (0x4c106, 3),
    (0x4d02f, 3),
    (0x53125, 96),
    (0x10a025, 14528),
    (0x10c700, 14528),
    (0x10cd00, 14528),
    (0x13a04f, 77728),
    (0x13f005, 16),
    (0x1c8900, 2),
    (0x1c902a, -6016),
    (0x1cbd02, -6016),
    (0x1e004a, 3),
    (0x1e9e00, -15230),
    (0x1ea02f, 3),
    (0x1f0807, -16),
    (0x1f1805, -16),
    (0x1f2807, -16),
    (0x1f3807, -16),
    (0x1f4805, -16),
    (0x1f5903, -15),
    (0x1f6807, -16),
    (0x1f8807, -16),
    (0x1f9807, -16),
    (0x1fa807, -16),
    (0x1fb801, -16),
    (0x1fba01, -148),
    (0x1fbc00, -18),
    (0x1fc803, -172),
    (0x1fcc00, -18),
    (0x1fd801, -16),
    (0x1fda01, -200),
    (0x1fe801, -16),
    (0x1fea01, -224),
    (0x1fec00, -14),
    (0x1ff801, -256),
    (0x1ffa01, -252),
    (0x1ffc00, -18),
    (0x212600, -15034),
    (0x212a00, -16766),
    (0x212b00, -16524),
    (0x213200, 56),
    (0x21600f, 32),
    (0x218300, 2),
    (0x24b619, 52),
    (0x2c002f, 96),
    (0x2c6000, 2),
    (0x2c6200, -21486),
    (0x2c6300, -7628),
    (0x2c6400, -21454),
    (0x2c6702, 3),
    (0x2c6d00, -21560),
    (0x2c6e00, -21498),
    (0x2c6f00, -21566),
    (0x2c7000, -21564),
    (0x2c7200, 2),
    (0x2c7500, 2),
    (0x2c7e01, -21630),
    (0x2c8031, 3),
    (0x2ceb01, 3),
    (0x2cf200, 2),
    (0xa64016, 3),
    (0xa6800d, 3),
    (0xa72206, 3),
    (0xa7321e, 3),
    (0xa77901, 3),
    (0xa77d00, -70664),
    (0xa77e04, 3),
    (0xa78b00, 2),
    (0xa78d00, -84560),
    (0xa79001, 3),
    (0xa79609, 3),
    (0xa7aa00, -84616),
    (0xa7ab00, -84638),
    (0xa7ac00, -84630),
    (0xa7ad00, -84610),
    (0xa7ae00, -84616),
    (0xa7b000, -84516),
    (0xa7b100, -84564),
    (0xa7b200, -84522),
    (0xa7b300, 1856),
    (0xa7b407, 3),
    (0xa7c400, -96),
    (0xa7c500, -84614),
    (0xa7c600, -70768),
    (0xa7c701, 3),
    (0xa7cb00, -84686),
    (0xa7cc07, 3),
    (0xa7dc00, -85122),
    (0xa7f500, 2),
    (0xff2119, 64),
    (0x1040027, 80),
    (0x104b023, 80),
    (0x105700a, 78),
    (0x1057c0e, 78),
    (0x1058c06, 78),
    (0x1059401, 78),
    (0x10c8032, 128),
    (0x10d5015, 64),
    (0x118a01f, 64),
    (0x16e401f, 64),
    (0x16ea018, 54),
    (0x1e90021, 68),
];

/// `c` folded for caseless matching: its Unicode lowercase (one char: 'İ' folds to 'i'), with the final
/// sigma 'ς' folded to 'σ' so that "ΟΔΟΣ" and "οδος" compare equal.
pub fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    match c {
        'ς' => return 'σ',
        '\u{130}' => return 'i',
        _ => {}
    }
    let x = c as u32;
    let i = RUNS.partition_point(|&(a, _)| a >> 8 <= x);
    let Some(&(a, b)) = i.checked_sub(1).and_then(|i| RUNS.get(i)) else { return c };
    let (off, step) = (x - (a >> 8), 1 + (b & 1) as u32);
    if off % step == 0 && off / step <= a & 0xff {
        char::from_u32(x.wrapping_add_signed(b >> 1)).unwrap_or(c)
    } else {
        c
    }
}

/// `s` with every char folded by [`fold_char`].
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        out.push(fold_char(c));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_library() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let std: Vec<char> = c.to_lowercase().collect();
            // 'İ' lowercases to "i\u{307}": its first char, the base letter, is what matching needs
            let want = if c == 'ς' { 'σ' } else { std[0] };
            assert_eq!(fold_char(c), want, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn folds_words() {
        assert_eq!(fold("Straße ÉTÉ ΟΔΟΣ οδος İstanbul ǅ"), "straße été οδοσ οδοσ istanbul ǆ");
    }
}
