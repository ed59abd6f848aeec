//! RLE Lossless (PS3.5 Annex G) for 32-bit samples, which dicom-pixeldata 0.10.1 refuses
//! ("BitsAllocated other than 8 or 16 is not supported"); 8- and 16-bit RLE stay with it.
//!
//! Each frame is one fragment: a 64-byte header (segment count, then up to 15 segment offsets, all
//! little-endian u32) followed by PackBits segments, one per byte plane, most significant first.

/// Decodes one frame of `samples` single-channel samples `bytes_per_sample` wide into
/// little-endian sample bytes.
pub(crate) fn decode_frame(fragment: &[u8], samples: usize, bytes_per_sample: usize) -> Result<Vec<u8>, String> {
    let word = |i: usize| -> Result<usize, String> {
        fragment
            .get(4 * i..4 * i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or_else(|| format!("RLE header cut short ({} bytes)", fragment.len()))
    };
    let segments = word(0)?;
    if segments != bytes_per_sample {
        return Err(format!(
            "RLE header lists {segments} segment(s), {bytes_per_sample} expected for one {}-bit sample",
            8 * bytes_per_sample
        ));
    }
    let offsets: Vec<usize> = (1..=segments).map(word).collect::<Result<_, _>>()?;
    let mut out = vec![0u8; samples * bytes_per_sample];
    for (plane, &start) in offsets.iter().enumerate() {
        let end = offsets.get(plane + 1).copied().unwrap_or(fragment.len());
        let segment = fragment
            .get(start..end)
            .ok_or_else(|| format!("RLE segment {plane} at {start}..{end} lies outside the fragment"))?;
        let decoded = unpack_bits(segment, samples)?;
        // Plane 0 is the most significant byte.
        let byte = bytes_per_sample - 1 - plane;
        for (i, b) in decoded.into_iter().enumerate() {
            out[i * bytes_per_sample + byte] = b;
        }
    }
    Ok(out)
}

/// PackBits: a header byte n < 128 copies the next n + 1 bytes, n > 128 repeats the next byte
/// 257 − n times, 128 does nothing. Stops once `len` bytes are out (segments may be padded).
fn unpack_bits(segment: &[u8], len: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(len);
    let mut i = 0;
    while out.len() < len {
        let Some(&header) = segment.get(i) else {
            return Err(format!("RLE segment ends after {} of {len} bytes", out.len()));
        };
        i += 1;
        match header {
            0..=127 => {
                let n = usize::from(header) + 1;
                let literal = segment
                    .get(i..i + n)
                    .ok_or_else(|| format!("RLE literal run of {n} bytes cut short"))?;
                out.extend_from_slice(literal);
                i += n;
            }
            128 => {}
            _ => {
                let &value = segment.get(i).ok_or("RLE repeat run without its byte")?;
                out.extend(std::iter::repeat_n(value, 257 - usize::from(header)));
                i += 1;
            }
        }
    }
    out.truncate(len);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packbits_literal_and_repeat_runs_decode_as_the_standard_describes() {
        // PS3.5 G.3.1: 2 literal bytes, then 0xAB repeated 3 times (257 − 254), then a no-op.
        assert_eq!(
            unpack_bits(&[1, 7, 8, 254, 0xAB, 128], 5).unwrap(),
            [7, 8, 0xAB, 0xAB, 0xAB]
        );
        assert_eq!(
            unpack_bits(&[1, 7], 5).unwrap_err(),
            "RLE literal run of 2 bytes cut short"
        );
    }

    #[test]
    fn byte_planes_are_most_significant_first() {
        let mut fragment = vec![0u8; 64];
        fragment[0] = 4;
        let planes: [[u8; 2]; 4] = [[1, 2], [3, 4], [5, 6], [7, 8]];
        for p in 0..planes.len() {
            let offset = (64 + 3 * p) as u32;
            fragment[4 + 4 * p..8 + 4 * p].copy_from_slice(&offset.to_le_bytes());
        }
        for plane in planes {
            fragment.extend_from_slice(&[1, plane[0], plane[1]]);
        }
        let bytes = decode_frame(&fragment, 2, 4).unwrap();
        assert_eq!(bytes, [7, 5, 3, 1, 8, 6, 4, 2], "sample 0 is 0x01030507 little endian");
        assert_eq!(
            decode_frame(&fragment, 2, 2).unwrap_err(),
            "RLE header lists 4 segment(s), 2 expected for one 16-bit sample"
        );
    }
}
