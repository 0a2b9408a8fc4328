//! Subband geometry: the 20-node wavelet decomposition tree and the 64 subbands it produces.
//!
//! FBI IAFIS-IC-0110 (v3) §2 / Annex A (the "W tree" and "Q tree" of NIST NBIS `tree.c`).
//! Every node is one separable split of a rectangle into four quadrants: the row transform
//! divides the width, the column transform the height. A length `n` splits into `ceil(n/2)`
//! low-pass and `floor(n/2)` high-pass samples; a node whose row (column) split is *inverted*
//! stores the high-pass half first, so its left (top) part is `floor(n/2)` wide (high). In the
//! standard tree the top-right child of every split is inverted along rows, the bottom-left
//! child along columns and the bottom-right child along both; the top-left child is not
//! inverted. The table below lists which quadrants are split again and how the resulting
//! subbands are numbered (subbands 60–63, the level-1 diagonal quadrant, are never coded).
//!
//! | node | region            | children                                     |
//! |------|-------------------|----------------------------------------------|
//! | 0    | image             | 1 (TL), 2 (TR), 3 (BL), subbands 60–63 (BR)  |
//! | 1    | TL of 0           | 14, 4, 5, subband 51                         |
//! | 2, 3 | TR, BL of 0       | subbands 52–55, 56–59                        |
//! | 4, 5 | TR, BL of 1       | 6–9, 10–13                                   |
//! | 6–13 | quadrants of 4, 5 | subbands 19–50, four each                    |
//! | 14   | TL of 1           | 15, 16, 17, 18                               |
//! | 15   | TL of 14          | 19, subbands 4, 5, 6                         |
//! | 16–18| TR, BL, BR of 14  | subbands 7–18, four each                     |
//! | 19   | TL of 15          | subbands 0–3                                 |

/// Number of nodes of the wavelet decomposition tree.
pub(crate) const NODES: usize = 20;
/// Number of subbands in the quantization table (DQT).
pub(crate) const SUBBANDS: usize = 64;
/// Subbands that are quantized and coded (60–63 never are).
pub(crate) const CODED_SUBBANDS: usize = 60;
/// First subband of each of the three entropy-coded blocks, then the end.
pub(crate) const BLOCK_STARTS: [usize; 4] = [0, 19, 52, CODED_SUBBANDS];

/// A rectangle of the coefficient plane.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Rect {
    pub(crate) x: usize,
    pub(crate) y: usize,
    pub(crate) width: usize,
    pub(crate) height: usize,
}

impl Rect {
    pub(crate) fn area(&self) -> usize {
        self.width * self.height
    }
}

/// One split of the decomposition tree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Node {
    pub(crate) rect: Rect,
    /// The row transform stores the high-pass half first (`inv_rw` in the reference code).
    pub(crate) invert_rows: bool,
    /// The column transform stores the high-pass half first (`inv_cl`).
    pub(crate) invert_columns: bool,
}

/// Lengths of the first and second half when `len` samples are split.
pub(crate) fn halves(len: usize, high_first: bool) -> (usize, usize) {
    let (low, high) = (len.div_ceil(2), len / 2);
    if high_first { (high, low) } else { (low, high) }
}

impl Node {
    fn root(width: usize, height: usize) -> Self {
        Self {
            rect: Rect {
                x: 0,
                y: 0,
                width,
                height,
            },
            invert_rows: false,
            invert_columns: false,
        }
    }

    /// Top-left, top-right, bottom-left and bottom-right children.
    fn quadrants(&self) -> [Node; 4] {
        let Rect {
            x,
            y,
            width,
            height,
        } = self.rect;
        let (w0, w1) = halves(width, self.invert_rows);
        let (h0, h1) = halves(height, self.invert_columns);
        let node = |x, y, width, height, invert_rows, invert_columns| Node {
            rect: Rect {
                x,
                y,
                width,
                height,
            },
            invert_rows,
            invert_columns,
        };
        [
            node(x, y, w0, h0, false, false),
            node(x + w0, y, w1, h0, true, false),
            node(x, y + h0, w0, h1, false, true),
            node(x + w0, y + h0, w1, h1, true, true),
        ]
    }

    fn quadrant_rects(&self) -> [Rect; 4] {
        self.quadrants().map(|n| n.rect)
    }
}

/// The decomposition tree and subband rectangles of one image size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Geometry {
    /// The splits in the order the analysis applies them (parents before children); the
    /// synthesis walks them backwards.
    pub(crate) nodes: [Node; NODES],
    /// Subband rectangles, numbered as in the DQT.
    pub(crate) subbands: [Rect; SUBBANDS],
}

impl Geometry {
    pub(crate) fn new(width: usize, height: usize) -> Self {
        let n0 = Node::root(width, height);
        let [n1, n2, n3, diagonal] = n0.quadrants();
        let [n14, n4, n5, s51] = n1.quadrants();
        let [n6, n7, n8, n9] = n4.quadrants();
        let [n10, n11, n12, n13] = n5.quadrants();
        let [n15, n16, n17, n18] = n14.quadrants();
        let [n19, s4, s5, s6] = n15.quadrants();
        let nodes = [
            n0, n1, n2, n3, n4, n5, n6, n7, n8, n9, n10, n11, n12, n13, n14, n15, n16, n17, n18,
            n19,
        ];
        let groups: [(usize, [Rect; 4]); 13] = [
            (0, n19.quadrant_rects()),
            (7, n16.quadrant_rects()),
            (11, n17.quadrant_rects()),
            (15, n18.quadrant_rects()),
            (19, n6.quadrant_rects()),
            (23, n7.quadrant_rects()),
            (27, n8.quadrant_rects()),
            (31, n9.quadrant_rects()),
            (35, n10.quadrant_rects()),
            (39, n11.quadrant_rects()),
            (43, n12.quadrant_rects()),
            (47, n13.quadrant_rects()),
            (52, n2.quadrant_rects()),
        ];
        let mut subbands = [Rect::default(); SUBBANDS];
        let mut place = |first: usize, rects: &[Rect]| {
            for (slot, rect) in subbands.iter_mut().skip(first).zip(rects) {
                *slot = *rect;
            }
        };
        for (first, rects) in &groups {
            place(*first, rects);
        }
        place(4, &[s4.rect, s5.rect, s6.rect]);
        place(51, &[s51.rect]);
        place(56, &n3.quadrant_rects());
        place(60, &diagonal.quadrant_rects());
        Self { nodes, subbands }
    }

    /// Number of coefficients the coded subbands hold, given which subbands are coded.
    pub(crate) fn coded_len(&self, coded: impl Fn(usize) -> bool) -> usize {
        self.subbands
            .iter()
            .take(CODED_SUBBANDS)
            .enumerate()
            .filter(|(k, _)| coded(*k))
            .map(|(_, r)| r.area())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(x: usize, y: usize, width: usize, height: usize) -> Rect {
        Rect {
            x,
            y,
            width,
            height,
        }
    }

    #[test]
    fn subbands_tile_the_image_exactly() {
        for (w, h) in [(500, 500), (512, 480), (357, 411), (33, 47), (1, 1), (2, 3)] {
            let g = Geometry::new(w, h);
            let mut cover = vec![0u8; w * h];
            for rect in g.subbands {
                for y in rect.y..rect.y + rect.height {
                    for x in rect.x..rect.x + rect.width {
                        cover[y * w + x] += 1;
                    }
                }
            }
            assert!(cover.iter().all(|&c| c == 1), "{w}x{h}");
        }
    }

    #[test]
    fn geometry_matches_the_reference_trees() {
        // testdata/wsq/tree-geometry.json: nodes [x, y, width, height, inv_rw, inv_cl] and
        // subbands [x, y, width, height] as the reference build_w_tree / build_q_tree lay
        // them out (see testdata/wsq/SOURCES).
        let vectors: serde_json::Value =
            serde_json::from_str(include_str!("../../../../testdata/wsq/tree-geometry.json"))
                .unwrap();
        let mut checked = 0;
        for case in vectors.as_array().unwrap() {
            let size: Vec<usize> = serde_json::from_value(case["size"].clone()).unwrap();
            let nodes: Vec<[usize; 6]> = serde_json::from_value(case["nodes"].clone()).unwrap();
            let subbands: Vec<[usize; 4]> =
                serde_json::from_value(case["subbands"].clone()).unwrap();
            let g = Geometry::new(size[0], size[1]);
            for (i, n) in nodes.iter().enumerate() {
                let ours = g.nodes[i];
                let got = [
                    ours.rect.x,
                    ours.rect.y,
                    ours.rect.width,
                    ours.rect.height,
                    usize::from(ours.invert_rows),
                    usize::from(ours.invert_columns),
                ];
                assert_eq!(&got, n, "{size:?} node {i}");
            }
            for (k, s) in subbands.iter().enumerate() {
                assert_eq!(
                    g.subbands[k],
                    r(s[0], s[1], s[2], s[3]),
                    "{size:?} subband {k}"
                );
            }
            checked += 1;
        }
        assert!(checked >= 8);
    }

    #[test]
    fn geometry_matches_the_reference_trees_for_an_odd_size() {
        // Values computed with the reference build_w_tree / build_q_tree for 357x411.
        let g = Geometry::new(357, 411);
        let node = |i: usize| g.nodes[i];
        assert_eq!(node(1).rect, r(0, 0, 179, 206));
        assert_eq!(node(2).rect, r(179, 0, 178, 206));
        assert_eq!(node(3).rect, r(0, 206, 179, 205));
        assert_eq!(node(4).rect, r(90, 0, 89, 103));
        assert!(node(4).invert_rows && !node(4).invert_columns);
        assert_eq!(node(5).rect, r(0, 103, 90, 103));
        assert!(!node(5).invert_rows && node(5).invert_columns);
        assert!(node(9).invert_rows && node(9).invert_columns);
        assert_eq!(node(9).rect, r(134, 52, 45, 51));
        assert_eq!(node(19).rect, r(0, 0, 23, 26));
        assert_eq!(g.subbands[0], r(0, 0, 12, 13));
        assert_eq!(g.subbands[3], r(12, 13, 11, 13));
        assert_eq!(g.subbands[51], r(90, 103, 89, 103));
    }
}
