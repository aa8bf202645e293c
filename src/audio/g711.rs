//! G.711 expansion: the μ-law and A-law code → linear tables of ITU-T G.711.
//!
//! Both tables are built at compile time from the closed-form decoder
//! definitions in G.711 (Tables 1a/1b and 2a/2b), and scaled to the 16-bit
//! range the way sox, SoX's `libsox` and Sun's reference `g711.c` do, so that
//! levels in dBFS match what those tools report for the same file.

/// Decoded μ-law codes, in 16-bit sample units (full scale 32 768).
///
/// G.711 μ-law decodes to 14-bit magnitudes `(2q + 33)·2^s − 33` (max 8031)
/// for segment `s` and quantisation step `q` of the bit-inverted code word;
/// ×4 lifts that onto the 16-bit scale (max ±32 124).
pub const MULAW_TO_LINEAR: [i16; 256] = build_mulaw_table();

/// Decoded A-law codes, in 16-bit sample units (full scale 32 768).
///
/// G.711 A-law decodes to 12-bit-plus-half-step magnitudes: `2q + 1` in
/// segment 0 and `(2q + 33)·2^(s−1)` above (max 4032); ×8 lifts that onto the
/// 16-bit scale (max ±32 256). Even bits are inverted on the line (XOR 0x55).
pub const ALAW_TO_LINEAR: [i16; 256] = build_alaw_table();

const fn build_mulaw_table() -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut code = 0usize;
    while code < 256 {
        // All bits are transmitted inverted; a set sign bit on the line is positive.
        let inverted = !(code as u8);
        let positive = code & 0x80 != 0;
        let segment = ((inverted >> 4) & 0x07) as i32;
        let step = (inverted & 0x0F) as i32;
        let magnitude = ((2 * step + 33) << segment) - 33;
        let value = magnitude * 4;
        table[code] = if positive {
            value as i16
        } else {
            -value as i16
        };
        code += 1;
    }
    table
}

const fn build_alaw_table() -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut code = 0usize;
    while code < 256 {
        // Even bits are transmitted inverted.
        let toggled = (code as u8) ^ 0x55;
        let positive = toggled & 0x80 != 0;
        let segment = ((toggled >> 4) & 0x07) as i32;
        let step = (toggled & 0x0F) as i32;
        let magnitude = if segment == 0 {
            2 * step + 1
        } else {
            (2 * step + 33) << (segment - 1)
        };
        let value = magnitude * 8;
        table[code] = if positive {
            value as i16
        } else {
            -value as i16
        };
        code += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sun Microsystems' public-domain `g711.c` decoder, bit for bit: an
    /// independent formulation the tables must agree with.
    fn sun_ulaw2linear(code: u8) -> i16 {
        let u = !code;
        let mut t = (((u & 0x0F) as i32) << 3) + 0x84;
        t <<= ((u & 0x70) >> 4) as i32;
        if u & 0x80 != 0 {
            (0x84 - t) as i16
        } else {
            (t - 0x84) as i16
        }
    }

    fn sun_alaw2linear(code: u8) -> i16 {
        let a = code ^ 0x55;
        let mut t = ((a & 0x0F) as i32) << 4;
        let seg = ((a & 0x70) >> 4) as i32;
        match seg {
            0 => t += 8,
            1 => t += 0x108,
            _ => {
                t += 0x108;
                t <<= seg - 1;
            }
        }
        if a & 0x80 != 0 {
            t as i16
        } else {
            -t as i16
        }
    }

    #[test]
    fn mulaw_table_matches_sun_reference_decoder() {
        for code in 0..=255u8 {
            assert_eq!(
                MULAW_TO_LINEAR[code as usize],
                sun_ulaw2linear(code),
                "μ-law code {code:#04x}"
            );
        }
    }

    #[test]
    fn alaw_table_matches_sun_reference_decoder() {
        for code in 0..=255u8 {
            assert_eq!(
                ALAW_TO_LINEAR[code as usize],
                sun_alaw2linear(code),
                "A-law code {code:#04x}"
            );
        }
    }

    #[test]
    fn tables_have_the_g711_anchor_values() {
        // μ-law: 0xFF and 0x7F are the two zeros; 0x80 / 0x00 the extremes (±8031 × 4).
        assert_eq!(MULAW_TO_LINEAR[0xFF], 0);
        assert_eq!(MULAW_TO_LINEAR[0x7F], 0);
        assert_eq!(MULAW_TO_LINEAR[0x80], 32124);
        assert_eq!(MULAW_TO_LINEAR[0x00], -32124);
        // A-law: 0xD5 / 0x55 are the smallest magnitudes (±1 half-step × 8); 0xAA / 0x2A the extremes.
        assert_eq!(ALAW_TO_LINEAR[0xD5], 8);
        assert_eq!(ALAW_TO_LINEAR[0x55], -8);
        assert_eq!(ALAW_TO_LINEAR[0xAA], 32256);
        assert_eq!(ALAW_TO_LINEAR[0x2A], -32256);
    }

    #[test]
    fn tables_are_odd_symmetric_and_monotone_within_each_sign() {
        for code in 0..128usize {
            assert_eq!(MULAW_TO_LINEAR[code], -MULAW_TO_LINEAR[code | 0x80]);
            assert_eq!(ALAW_TO_LINEAR[code], -ALAW_TO_LINEAR[code | 0x80]);
        }
        // μ-law positive codes 0x80..=0xFF run from the largest magnitude down to 0.
        for code in 0x80..0xFFusize {
            assert!(MULAW_TO_LINEAR[code] > MULAW_TO_LINEAR[code + 1]);
        }
        // A-law: sort the positive half by un-toggled magnitude and check it strictly increases.
        let mut positive: Vec<i16> = (0x80..=0xFFusize).map(|c| ALAW_TO_LINEAR[c]).collect();
        positive.sort_unstable();
        positive.dedup();
        assert_eq!(
            positive.len(),
            128,
            "A-law positive codes decode to 128 distinct levels"
        );
    }
}
