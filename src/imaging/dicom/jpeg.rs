//! Sequential DCT JPEG with Huffman coding (ITU-T T.81 processes 1, 2 and 4: JPEG Baseline and
//! JPEG Extended, 8- and 12-bit samples) for single-component frames. jpeg-decoder 0.3
//! (dicom-pixeldata's JPEG codec) decodes DCT JPEG at 8 bits only, and with its own IDCT.
//!
//! The inverse DCT is IJG libjpeg's accurate integer IDCT (`jidctint.c`, "islow": Loeffler,
//! Ligtenberg & Moschytz 1989, 13 fractional bits), which libjpeg-turbo, GDCM and DCMTK use by
//! default, so decoded samples equal theirs exactly.

/// One decoded frame: Rows × Columns samples, row by row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JpegFrame {
    /// Sample precision P of the frame header (8 or 12).
    pub precision: u8,
    pub samples: Vec<u16>,
}

/// Natural (row-major) index of the k-th coefficient in zig-zag order (T.81 figure A.6).
const ZIGZAG: [usize; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
    28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54,
    47, 55, 62, 63,
];

/// A canonical Huffman table (T.81 annex C) with the decoder's MAXCODE/VALPTR/MINCODE (figure F.16).
#[derive(Debug, Clone)]
struct HuffmanTable {
    values: Vec<u8>,
    /// Per code length 1..=16: smallest code, largest code (−1 when none), index of its first value.
    min_code: [i32; 17],
    max_code: [i32; 17],
    first_value: [usize; 17],
}

impl HuffmanTable {
    fn new(counts: &[u8; 16], values: Vec<u8>) -> Result<Self, String> {
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        if total != values.len() || total > 256 {
            return Err(format!("Huffman table lists {total} codes for {} values", values.len()));
        }
        let mut table = HuffmanTable {
            values,
            min_code: [0; 17],
            max_code: [-1; 17],
            first_value: [0; 17],
        };
        let mut code = 0i32;
        let mut index = 0usize;
        for length in 1..=16 {
            let count = i32::from(counts[length - 1]);
            if count > 0 {
                table.first_value[length] = index;
                table.min_code[length] = code;
                code += count;
                index += count as usize;
                table.max_code[length] = code - 1;
                if code > 1 << length {
                    return Err(format!("Huffman table overflows at code length {length}"));
                }
            }
            code <<= 1;
        }
        Ok(table)
    }
}

/// Reads entropy-coded bits, undoing 0xFF00 byte stuffing and stopping at the next marker.
struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    buffer: u32,
    bits: u32,
    /// A marker met inside the entropy-coded data (its second byte), not yet consumed.
    marker: Option<u8>,
}

impl<'a> BitReader<'a> {
    fn new(data: &'a [u8], pos: usize) -> Self {
        BitReader {
            data,
            pos,
            buffer: 0,
            bits: 0,
            marker: None,
        }
    }

    fn bit(&mut self) -> Result<u32, String> {
        if self.bits == 0 {
            if self.marker.is_some() {
                return Err("entropy-coded data ends early (a marker interrupts it)".into());
            }
            let byte = *self.data.get(self.pos).ok_or("entropy-coded data is cut short")?;
            self.pos += 1;
            if byte == 0xFF {
                let next = *self.data.get(self.pos).ok_or("entropy-coded data is cut short")?;
                if next != 0x00 {
                    self.marker = Some(next);
                    self.pos += 1;
                    return Err("entropy-coded data ends early (a marker interrupts it)".into());
                }
                self.pos += 1;
            }
            self.buffer = u32::from(byte);
            self.bits = 8;
        }
        self.bits -= 1;
        Ok((self.buffer >> self.bits) & 1)
    }

    fn receive(&mut self, count: u8) -> Result<i32, String> {
        let mut value = 0i32;
        for _ in 0..count {
            value = (value << 1) | self.bit()? as i32;
        }
        Ok(value)
    }

    /// T.81 figure F.12: a `size`-bit magnitude category value as a signed difference.
    fn receive_extend(&mut self, size: u8) -> Result<i32, String> {
        if size == 0 {
            return Ok(0);
        }
        if size > 16 {
            return Err(format!("coefficient category {size} exceeds 16 bits"));
        }
        let value = self.receive(size)?;
        Ok(if value < 1 << (size - 1) {
            value - (1 << size) + 1
        } else {
            value
        })
    }

    /// T.81 figure F.16.
    fn decode(&mut self, table: &HuffmanTable) -> Result<u8, String> {
        let mut code = self.bit()? as i32;
        for length in 1..=16 {
            if code <= table.max_code[length] {
                let index = table.first_value[length] + (code - table.min_code[length]) as usize;
                return Ok(table.values[index]);
            }
            code = (code << 1) | self.bit()? as i32;
        }
        Err("invalid Huffman code".into())
    }

    /// Skips the padding bits of the current byte and consumes the restart marker `RST(index % 8)`.
    fn restart(&mut self, index: usize) -> Result<(), String> {
        self.bits = 0;
        let expected = 0xD0 + (index % 8) as u8;
        let found = match self.marker.take() {
            Some(m) => m,
            None => {
                // A marker may be preceded by 0xFF fill bytes (T.81 B.1.1.2).
                while self.data.get(self.pos..self.pos + 2) == Some(&[0xFF, 0xFF]) {
                    self.pos += 1;
                }
                match self.data.get(self.pos..self.pos + 2) {
                    Some([0xFF, m]) => {
                        self.pos += 2;
                        *m
                    }
                    _ => return Err(format!("restart marker RST{} is missing", index % 8)),
                }
            }
        };
        if found != expected {
            return Err(format!("found marker 0xFF{found:02X} where RST{} belongs", index % 8));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
struct Component {
    id: u8,
    quant_table: usize,
}

/// Decodes one JPEG stream (SOI … EOI) holding a single-component sequential DCT image of `rows` ×
/// `columns` samples (checked against the frame header before anything is allocated).
pub(crate) fn decode_frame(data: &[u8], rows: usize, columns: usize) -> Result<JpegFrame, String> {
    if data.get(..2) != Some(&[0xFF, 0xD8]) {
        return Err("not a JPEG stream (no SOI marker)".into());
    }
    let mut pos = 2;
    let mut quant: [Option<[u16; 64]>; 4] = [None; 4];
    let mut dc_tables: [Option<HuffmanTable>; 4] = Default::default();
    let mut ac_tables: [Option<HuffmanTable>; 4] = Default::default();
    let mut restart_interval = 0usize;
    let mut frame: Option<(u8, usize, usize, Component)> = None;
    loop {
        let (marker, segment) = next_segment(data, &mut pos)?;
        match marker {
            0xC0 | 0xC1 => {
                if frame.is_some() {
                    return Err("more than one frame header".into());
                }
                let header = frame_header(segment)?;
                if (header.2, header.1) != (rows, columns) {
                    return Err(format!(
                        "the JPEG stream is {} × {} but Rows × Columns is {rows} × {columns}",
                        header.2, header.1
                    ));
                }
                frame = Some(header);
            }
            0xC2 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                return Err(format!(
                    "{} JPEG (SOF marker 0xFF{marker:02X}) is not sequential DCT with Huffman coding",
                    process_name(marker)
                ));
            }
            0xC4 => define_huffman_tables(segment, &mut dc_tables, &mut ac_tables)?,
            0xDB => define_quantization_tables(segment, &mut quant)?,
            0xDD => {
                let &[hi, lo, ..] = segment else {
                    return Err("DRI segment is too short".into());
                };
                restart_interval = usize::from(u16::from_be_bytes([hi, lo]));
            }
            0xDA => {
                let (precision, width, height, component) = frame.ok_or("scan before the frame header")?;
                let (dc, ac) = scan_header(segment, component)?;
                let dc = dc_tables[dc]
                    .as_ref()
                    .ok_or(format!("scan uses undefined DC Huffman table {dc}"))?;
                let ac = ac_tables[ac]
                    .as_ref()
                    .ok_or(format!("scan uses undefined AC Huffman table {ac}"))?;
                let q = quant[component.quant_table].ok_or(format!(
                    "frame uses undefined quantization table {}",
                    component.quant_table
                ))?;
                let scan = Scan {
                    precision,
                    width,
                    height,
                    dc,
                    ac,
                    quant: &q,
                    restart_interval,
                };
                return scan.decode(data, pos);
            }
            0xD9 => return Err("end of image before any scan".into()),
            _ => {} // APPn, COM, DNL-free extras: nothing the samples depend on
        }
    }
}

fn process_name(marker: u8) -> &'static str {
    match marker {
        0xC2 | 0xC6 | 0xCA | 0xCE => "progressive",
        0xC3 | 0xC7 | 0xCB | 0xCF => "lossless",
        _ => "arithmetic-coded",
    }
}

/// The next marker and its segment (length field excluded); `pos` moves past the segment.
fn next_segment<'a>(data: &'a [u8], pos: &mut usize) -> Result<(u8, &'a [u8]), String> {
    // Markers may be preceded by any number of 0xFF fill bytes (T.81 B.1.1.2).
    while data.get(*pos) == Some(&0xFF) && data.get(*pos + 1) == Some(&0xFF) {
        *pos += 1;
    }
    let marker = match data.get(*pos..*pos + 2) {
        Some([0xFF, m]) => *m,
        Some(_) => return Err(format!("expected a marker at byte {}", *pos)),
        None => return Err("JPEG stream ends before its scan".into()),
    };
    *pos += 2;
    if marker == 0xD9 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
        return Ok((marker, &[]));
    }
    let length = data
        .get(*pos..*pos + 2)
        .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        .ok_or("JPEG stream ends inside a segment header")?;
    let segment = data
        .get(*pos + 2..*pos + length.max(2))
        .ok_or(format!("segment 0xFF{marker:02X} of {length} bytes is cut short"))?;
    *pos += length.max(2);
    Ok((marker, segment))
}

fn frame_header(segment: &[u8]) -> Result<(u8, usize, usize, Component), String> {
    let &[precision, y1, y0, x1, x0, count, id, _sampling, quant_table, ..] = segment else {
        return Err("frame header is too short".into());
    };
    if precision != 8 && precision != 12 {
        return Err(format!("sample precision {precision} (DCT JPEG has 8 or 12)"));
    }
    if count != 1 {
        return Err(format!(
            "{count} components (only single-component greyscale frames are supported)"
        ));
    }
    let height = usize::from(u16::from_be_bytes([y1, y0]));
    let width = usize::from(u16::from_be_bytes([x1, x0]));
    if height == 0 || width == 0 {
        return Err(format!(
            "frame size {width} × {height} (a DNL-defined height is not supported)"
        ));
    }
    if quant_table > 3 {
        return Err(format!("quantization table {quant_table} (0 to 3 allowed)"));
    }
    let component = Component {
        id,
        quant_table: usize::from(quant_table),
    };
    Ok((precision, width, height, component))
}

fn define_quantization_tables(mut segment: &[u8], quant: &mut [Option<[u16; 64]>; 4]) -> Result<(), String> {
    while let Some(&pq_tq) = segment.first() {
        let (wide, index) = (pq_tq >> 4, usize::from(pq_tq & 15));
        if index > 3 || wide > 1 {
            return Err(format!("invalid quantization table header 0x{pq_tq:02X}"));
        }
        let size = if wide == 1 { 128 } else { 64 };
        let values = segment.get(1..1 + size).ok_or("DQT segment is cut short")?;
        let mut table = [0u16; 64];
        for (k, &natural) in ZIGZAG.iter().enumerate() {
            table[natural] = if wide == 1 {
                u16::from_be_bytes([values[2 * k], values[2 * k + 1]])
            } else {
                u16::from(values[k])
            };
        }
        quant[index] = Some(table);
        segment = &segment[1 + size..];
    }
    Ok(())
}

fn define_huffman_tables(
    mut segment: &[u8],
    dc: &mut [Option<HuffmanTable>; 4],
    ac: &mut [Option<HuffmanTable>; 4],
) -> Result<(), String> {
    while let Some(&tc_th) = segment.first() {
        let (class, index) = (tc_th >> 4, usize::from(tc_th & 15));
        if index > 3 || class > 1 {
            return Err(format!("invalid Huffman table header 0x{tc_th:02X}"));
        }
        let counts: [u8; 16] = segment
            .get(1..17)
            .ok_or("DHT segment is cut short")?
            .try_into()
            .expect("16 bytes");
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        let values = segment.get(17..17 + total).ok_or("DHT segment is cut short")?.to_vec();
        let table = HuffmanTable::new(&counts, values)?;
        if class == 0 { &mut dc[index] } else { &mut ac[index] }.replace(table);
        segment = &segment[17 + total..];
    }
    Ok(())
}

/// The DC and AC table indices of a sequential single-component scan.
fn scan_header(segment: &[u8], component: Component) -> Result<(usize, usize), String> {
    // Ss, Se and Ah/Al must be 0, 63 and 0 in a sequential scan; libjpeg only warns when they are
    // not (pydicom's JPEG-lossy.dcm says Se = 0) and decodes the scan as sequential, and so does this.
    let &[count, id, tables, _start, _end, _approximation, ..] = segment else {
        return Err("scan header is too short".into());
    };
    if count != 1 || id != component.id {
        return Err(format!(
            "scan of {count} component(s) does not match the frame's single component"
        ));
    }
    let (dc, ac) = (usize::from(tables >> 4), usize::from(tables & 15));
    if dc > 3 || ac > 3 {
        return Err(format!("invalid Huffman table selector 0x{tables:02X}"));
    }
    Ok((dc, ac))
}

struct Scan<'a> {
    precision: u8,
    width: usize,
    height: usize,
    dc: &'a HuffmanTable,
    ac: &'a HuffmanTable,
    quant: &'a [u16; 64],
    restart_interval: usize,
}

impl Scan<'_> {
    /// Decodes every 8 × 8 block of the non-interleaved scan starting at `pos` (T.81 A.2.2: one
    /// block per MCU, ⌈X/8⌉ × ⌈Y/8⌉ blocks).
    fn decode(&self, data: &[u8], pos: usize) -> Result<JpegFrame, String> {
        let blocks_across = self.width.div_ceil(8);
        let blocks_down = self.height.div_ceil(8);
        let mut samples = vec![0u16; self.width * self.height];
        let mut reader = BitReader::new(data, pos);
        let mut predictor = 0i32;
        let mut block = [0i32; 64];
        let mut pixels = [0u16; 64];
        for n in 0..blocks_across * blocks_down {
            if self.restart_interval > 0 && n > 0 && n % self.restart_interval == 0 {
                reader
                    .restart(n / self.restart_interval - 1)
                    .map_err(|e| format!("block {n}: {e}"))?;
                predictor = 0;
            }
            self.decode_block(&mut reader, &mut predictor, &mut block)
                .map_err(|e| format!("block {n} of {}: {e}", blocks_across * blocks_down))?;
            idct_islow(&block, self.quant, self.precision, &mut pixels);
            let (bx, by) = (n % blocks_across * 8, n / blocks_across * 8);
            for (row, line) in pixels
                .chunks_exact(8)
                .enumerate()
                .take(self.height.saturating_sub(by).min(8))
            {
                let start = (by + row) * self.width + bx;
                let len = (self.width - bx).min(8);
                samples[start..start + len].copy_from_slice(&line[..len]);
            }
        }
        Ok(JpegFrame {
            precision: self.precision,
            samples,
        })
    }

    /// T.81 F.2.2: one block's quantized coefficients in natural order.
    fn decode_block(&self, reader: &mut BitReader, predictor: &mut i32, block: &mut [i32; 64]) -> Result<(), String> {
        block.fill(0);
        let size = reader.decode(self.dc)?;
        // Bounded far beyond any valid DC value so that a corrupt stream cannot overflow the IDCT.
        *predictor = (*predictor + reader.receive_extend(size)?).clamp(-(1 << 20), 1 << 20);
        block[0] = *predictor;
        let mut k = 1;
        while k < 64 {
            let rs = reader.decode(self.ac)?;
            let (run, size) = (usize::from(rs >> 4), rs & 15);
            if size == 0 {
                if run != 15 {
                    break; // end of block
                }
                k += 16;
                continue;
            }
            k += run;
            if k > 63 {
                return Err("AC coefficients run past the end of the block".into());
            }
            block[ZIGZAG[k]] = reader.receive_extend(size)?;
            k += 1;
        }
        if k > 64 {
            return Err("AC coefficients run past the end of the block".into());
        }
        Ok(())
    }
}

const CONST_BITS: u32 = 13;
// FIX(x) = round(x · 2^13), as jidctint.c tabulates them.
const FIX_0_298631336: i64 = 2446;
const FIX_0_390180644: i64 = 3196;
const FIX_0_541196100: i64 = 4433;
const FIX_0_765366865: i64 = 6270;
const FIX_0_899976223: i64 = 7373;
const FIX_1_175875602: i64 = 9633;
const FIX_1_501321110: i64 = 12299;
const FIX_1_847759065: i64 = 15137;
const FIX_1_961570560: i64 = 16069;
const FIX_2_053119869: i64 = 16819;
const FIX_2_562915447: i64 = 20995;
const FIX_3_072711026: i64 = 25172;

/// Rounded arithmetic right shift (libjpeg's DESCALE).
fn descale(x: i64, n: u32) -> i64 {
    (x + (1 << (n - 1))) >> n
}

/// One 8-point 1-D IDCT of `input` (already dequantized), before descaling: the even part on
/// inputs 0, 2, 4, 6 and the odd part on 1, 3, 5, 7 of the Loeffler–Ligtenberg–Moschytz flow graph,
/// as jidctint.c computes it (outputs scaled by 2^CONST_BITS).
fn idct_1d(input: [i64; 8]) -> [i64; 8] {
    let z1 = (input[2] + input[6]) * FIX_0_541196100;
    let tmp2 = z1 - input[6] * FIX_1_847759065;
    let tmp3 = z1 + input[2] * FIX_0_765366865;
    let tmp0 = (input[0] + input[4]) << CONST_BITS;
    let tmp1 = (input[0] - input[4]) << CONST_BITS;
    let (tmp10, tmp13) = (tmp0 + tmp3, tmp0 - tmp3);
    let (tmp11, tmp12) = (tmp1 + tmp2, tmp1 - tmp2);

    let (t0, t1, t2, t3) = (input[7], input[5], input[3], input[1]);
    let z5 = (t0 + t1 + t2 + t3) * FIX_1_175875602;
    let z1 = -(t0 + t3) * FIX_0_899976223;
    let z2 = -(t1 + t2) * FIX_2_562915447;
    let z3 = -(t0 + t2) * FIX_1_961570560 + z5;
    let z4 = -(t1 + t3) * FIX_0_390180644 + z5;
    let o0 = t0 * FIX_0_298631336 + z1 + z3;
    let o1 = t1 * FIX_2_053119869 + z2 + z4;
    let o2 = t2 * FIX_3_072711026 + z2 + z3;
    let o3 = t3 * FIX_1_501321110 + z1 + z4;

    [
        tmp10 + o3,
        tmp11 + o2,
        tmp12 + o1,
        tmp13 + o0,
        tmp13 - o0,
        tmp12 - o1,
        tmp11 - o2,
        tmp10 - o3,
    ]
}

/// Dequantizes one block and applies libjpeg's accurate integer IDCT (jidctint.c `jpeg_idct_islow`):
/// columns first, kept with PASS1_BITS extra bits, then rows, level shift and range limit.
fn idct_islow(coefficients: &[i32; 64], quant: &[u16; 64], precision: u8, out: &mut [u16; 64]) {
    // jidctint.c keeps 2 extra bits between passes for 8-bit samples, 1 for 12-bit (to stay in 32 bits).
    let pass1_bits = if precision == 8 { 2 } else { 1 };
    let max_sample = (1i64 << precision) - 1;
    let center = 1i64 << (precision - 1);
    let mut workspace = [0i64; 64];
    for column in 0..8 {
        let input =
            std::array::from_fn(|row| i64::from(coefficients[row * 8 + column]) * i64::from(quant[row * 8 + column]));
        for (row, value) in idct_1d(input).into_iter().enumerate() {
            workspace[row * 8 + column] = descale(value, CONST_BITS - pass1_bits);
        }
    }
    // The range-limit table wraps its index at 4 × (MAXJSAMPLE + 1), so far-out values of a
    // corrupt stream fold the way libjpeg folds them rather than saturating.
    let range = 4 * (max_sample + 1);
    for row in 0..8 {
        let input = std::array::from_fn(|column| workspace[row * 8 + column]);
        for (column, value) in idct_1d(input).into_iter().enumerate() {
            let wrapped = (descale(value, CONST_BITS + pass1_bits + 3) + range / 2).rem_euclid(range) - range / 2;
            out[row * 8 + column] = (wrapped + center).clamp(0, max_sample) as u16;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dc_only_block_is_flat_at_its_mean_plus_the_level_shift() {
        let mut coefficients = [0i32; 64];
        coefficients[0] = 40; // DC = 8 × mean deviation: 40 × quant 2 / 8 = 10
        let mut quant = [1u16; 64];
        quant[0] = 2;
        let mut out = [0u16; 64];
        idct_islow(&coefficients, &quant, 12, &mut out);
        assert!(out.iter().all(|&v| v == 2048 + 10), "{out:?}");
        idct_islow(&coefficients, &quant, 8, &mut out);
        assert!(out.iter().all(|&v| v == 128 + 10), "{out:?}");
    }

    #[test]
    fn the_integer_idct_stays_within_one_level_of_the_exact_transform() {
        // T.81 A.3.3: s(y,x) = 1/4 Σ C(u)C(v) S(v,u) cos((2x+1)uπ/16) cos((2y+1)vπ/16).
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) % 201) as i32 - 100
        };
        let quant = [3u16; 64];
        for _ in 0..200 {
            let coefficients: [i32; 64] = std::array::from_fn(|_| next());
            let mut out = [0u16; 64];
            idct_islow(&coefficients, &quant, 12, &mut out);
            for y in 0..8 {
                for x in 0..8 {
                    let mut sum = 0.0;
                    for v in 0..8 {
                        for u in 0..8 {
                            let cu = if u == 0 { std::f64::consts::FRAC_1_SQRT_2 } else { 1.0 };
                            let cv = if v == 0 { std::f64::consts::FRAC_1_SQRT_2 } else { 1.0 };
                            let s = f64::from(coefficients[v * 8 + u] * 3);
                            sum += cu
                                * cv
                                * s
                                * ((2 * x + 1) as f64 * u as f64 * std::f64::consts::PI / 16.0).cos()
                                * ((2 * y + 1) as f64 * v as f64 * std::f64::consts::PI / 16.0).cos();
                        }
                    }
                    let exact = (sum / 4.0 + 2048.0).clamp(0.0, 4095.0);
                    let got = f64::from(out[y * 8 + x]);
                    assert!((got - exact).abs() <= 1.0, "({x},{y}): {got} vs {exact}");
                }
            }
        }
    }

    fn sha256_of_samples(samples: &[u16]) -> String {
        use sha2::Digest;
        let mut hasher = sha2::Sha256::new();
        for &v in samples {
            hasher.update(i64::from(v).to_le_bytes());
        }
        hex::encode(hasher.finalize())
    }

    #[test]
    fn baseline_and_12_bit_extended_streams_decode_to_libjpeg_turbos_samples() {
        // scripts/reference/jpeg_fixtures.py: Pillow / imagecodecs (libjpeg-turbo 3.1.3) encoded and decoded them.
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dicom/jpeg");
        let fixture: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(folder.join("libjpeg_turbo.json")).unwrap()).unwrap();
        for (stream, precision) in [("grey8_restart.jpg", 8), ("grey12.jpg", 12), ("grey12_q100.jpg", 12)] {
            let expected = &fixture["cases"][stream];
            let [rows, columns] = [0, 1].map(|i| expected["shape"][i].as_u64().unwrap() as usize);
            let data = std::fs::read(folder.join(stream)).unwrap();
            let frame = decode_frame(&data, rows, columns).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(frame.precision, precision, "{stream}");
            assert_eq!(
                decode_frame(&data, rows, columns + 1).unwrap_err(),
                format!(
                    "the JPEG stream is {rows} × {columns} but Rows × Columns is {rows} × {}",
                    columns + 1
                )
            );
            assert_eq!(sha256_of_samples(&frame.samples), expected["sha256"], "{stream}");
        }
    }

    #[test]
    fn a_stream_cut_short_or_with_a_wrong_restart_marker_is_an_error_not_zeros() {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dicom/jpeg");
        let stream = std::fs::read(folder.join("grey8_restart.jpg")).unwrap();
        let cut = &stream[..stream.len() - 200];
        assert!(
            decode_frame(cut, 29, 37)
                .unwrap_err()
                .contains("entropy-coded data is cut short")
        );
        let rst0 = stream.windows(2).position(|w| w == [0xFF, 0xD0]).unwrap();
        // Fill bytes before a restart marker change nothing.
        let mut filled = stream.clone();
        filled.splice(rst0..rst0, [0xFF, 0xFF, 0xFF]);
        assert_eq!(decode_frame(&filled, 29, 37), decode_frame(&stream, 29, 37));
        let mut renumbered = stream.clone();
        renumbered[rst0 + 1] = 0xD3;
        assert_eq!(
            decode_frame(&renumbered, 29, 37).unwrap_err(),
            "block 3: found marker 0xFFD3 where RST0 belongs"
        );
    }

    #[test]
    fn corrupted_and_truncated_streams_give_errors_or_samples_never_a_panic() {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dicom/jpeg");
        let mut state = 99u64;
        let mut next = |bound: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize % bound
        };
        for (stream, rows, columns) in [("grey8_restart.jpg", 29, 37), ("grey12.jpg", 23, 45)] {
            let original = std::fs::read(folder.join(stream)).unwrap();
            for _ in 0..2000 {
                let mut data = original.clone();
                for _ in 0..1 + next(4) {
                    let at = next(data.len());
                    data[at] = next(256) as u8;
                }
                data.truncate(data.len() - next(data.len() / 4));
                if let Ok(frame) = decode_frame(&data, rows, columns) {
                    assert_eq!(frame.samples.len(), rows * columns);
                }
            }
        }
    }

    #[test]
    fn streams_that_are_not_sequential_greyscale_dct_are_refused_with_the_reason() {
        let progressive = [0xFF, 0xD8, 0xFF, 0xC2, 0x00, 0x0B, 12, 0, 8, 0, 8, 1, 1, 0x11, 0];
        assert_eq!(
            decode_frame(&progressive, 8, 8).unwrap_err(),
            "progressive JPEG (SOF marker 0xFFC2) is not sequential DCT with Huffman coding"
        );
        let colour = [
            0xFF, 0xD8, 0xFF, 0xC1, 0x00, 0x11, 8, 0, 8, 0, 8, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0,
        ];
        assert_eq!(
            decode_frame(&colour, 8, 8).unwrap_err(),
            "3 components (only single-component greyscale frames are supported)"
        );
        assert_eq!(
            decode_frame(b"GIF89a", 8, 8).unwrap_err(),
            "not a JPEG stream (no SOI marker)"
        );
    }
}
