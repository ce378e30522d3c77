//! Argon2id itself: the tag computation of [`app_passwords_argon2`] (crates/argon2), a crate of its
//! own so that the release profile can optimise it for speed while the rest stays small.
//!
//! Its block function is hand-written wasm SIMD128 when the wasm is built with `simd128` (the npm
//! package and the Worker), portable otherwise. The tests here run on every variant (`cargo test`
//! natively and in wasm, with and without `simd128`): RFC 9106's vector, the `argon2` crate's output
//! for random inputs and costs, and the SIMD block function against the portable one.

use super::error::{Error, Result};
pub use app_passwords_argon2::{Costs, Inputs};

/// Argon2id of `inputs` at `costs` into `out` (the tag).
///
/// # Errors
/// [`Error::InvalidParams`] for a salt shorter than 8 bytes, a tag shorter than 4 bytes, or costs
/// out of Argon2's range.
pub fn argon2id(inputs: Inputs<'_>, costs: Costs, out: &mut [u8]) -> Result<()> {
    app_passwords_argon2::argon2id(inputs, costs, out).map_err(|_| Error::InvalidParams)
}

#[cfg(test)]
mod tests {
    use super::*;
    use app_passwords_argon2::{WORDS, compress_in_use, compress_portable};
    use proptest::prelude::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn crate_argon2(inputs: Inputs<'_>, costs: Costs, len: usize) -> Vec<u8> {
        let mut builder = argon2::ParamsBuilder::new();
        builder
            .m_cost(costs.m)
            .t_cost(costs.t)
            .p_cost(costs.p)
            .output_len(len);
        if !inputs.associated_data.is_empty() {
            builder.data(argon2::AssociatedData::new(inputs.associated_data).unwrap());
        }
        let mut out = vec![0u8; len];
        argon2::Argon2::new_with_secret(
            inputs.secret,
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            builder.build().unwrap(),
        )
        .unwrap()
        .hash_password_into(inputs.password, inputs.salt, &mut out)
        .unwrap();
        out
    }

    #[test]
    fn rfc9106_argon2id_vector() {
        let inputs = Inputs {
            password: &[1; 32],
            salt: &[2; 16],
            secret: &[3; 8],
            associated_data: &[4; 12],
        };
        let mut out = [0u8; 32];
        argon2id(inputs, Costs { m: 32, t: 3, p: 4 }, &mut out).unwrap();
        assert_eq!(
            crate::domain::hash::hex(&out),
            "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"
        );
    }

    #[test]
    fn bad_inputs_are_refused() {
        let ok = Inputs {
            password: b"p",
            salt: b"saltsalt",
            secret: b"",
            associated_data: b"",
        };
        let costs = Costs { m: 8, t: 1, p: 1 };
        let mut out = [0u8; 32];
        assert!(argon2id(ok, costs, &mut out).is_ok());
        let short_salt = Inputs {
            salt: b"salt",
            ..ok
        };
        assert_eq!(
            argon2id(short_salt, costs, &mut out),
            Err(Error::InvalidParams)
        );
        for bad in [
            Costs { t: 0, ..costs },
            Costs { p: 0, ..costs },
            Costs { m: 15, t: 1, p: 2 },
        ] {
            assert_eq!(argon2id(ok, bad, &mut out), Err(Error::InvalidParams));
        }
        assert_eq!(
            argon2id(ok, costs, &mut [0u8; 3]),
            Err(Error::InvalidParams)
        );
    }

    /// The memory is wiped after each call, kept for the next one, and what it held does not
    /// matter (the first pass overwrites every block): the tag is the same after a call with more
    /// memory and after garbage was written into it.
    #[test]
    fn memory_is_wiped_and_its_content_does_not_matter() {
        use app_passwords_argon2::{kept_memory, scribble_kept_memory};
        let inputs = Inputs {
            password: b"password",
            salt: b"somesaltsomesalt",
            secret: b"secret",
            associated_data: b"",
        };
        let small = Costs { m: 64, t: 2, p: 2 };
        let mut first = [0u8; 32];
        argon2id(inputs, small, &mut first).unwrap();
        assert_eq!(first.to_vec(), crate_argon2(inputs, small, 32));
        assert_eq!(kept_memory(), (64, true));

        let mut out = [0u8; 32];
        argon2id(inputs, Costs { m: 256, t: 1, p: 1 }, &mut out).unwrap();
        assert_eq!(kept_memory(), (256, true));
        for word in [u64::MAX, 0x0123_4567_89ab_cdef] {
            scribble_kept_memory(word, 64);
            assert_eq!(kept_memory(), (256, false));
            argon2id(inputs, small, &mut out).unwrap();
            assert_eq!(out, first);
            assert_eq!(kept_memory(), (256, true));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Same tag as the `argon2` crate for random inputs, costs (several lanes, address blocks
        /// crossing segments) and tag lengths (short, 64, and H' chains beyond 64 bytes).
        #[test]
        fn equals_the_argon2_crate(
            password in proptest::collection::vec(any::<u8>(), 0..40),
            salt in proptest::collection::vec(any::<u8>(), 8..24),
            secret in proptest::collection::vec(any::<u8>(), 0..40),
            ad in proptest::collection::vec(any::<u8>(), 0..16),
            p in 1u32..4,
            extra in 0u32..600,
            t in 1u32..4,
            len in prop::sample::select(vec![4usize, 16, 32, 64, 65, 100, 129]),
        ) {
            let inputs = Inputs { password: &password, salt: &salt, secret: &secret, associated_data: &ad };
            let costs = Costs { m: 8 * p + extra, t, p };
            let mut out = vec![0u8; len];
            argon2id(inputs, costs, &mut out).unwrap();
            prop_assert_eq!(out, crate_argon2(inputs, costs, len));
        }

        /// The block function in use (SIMD128 in a simd128 wasm build) equals the portable one on
        /// random blocks, with and without xor.
        #[test]
        fn block_function_equals_the_portable_one(seed in any::<u64>(), xor in any::<bool>()) {
            let mut state = seed | 1;
            let mut next = || { state ^= state << 13; state ^= state >> 7; state ^= state << 17; state };
            let mut blocks = [[0u64; WORDS]; 3];
            blocks.iter_mut().flatten().for_each(|w| *w = next());
            let [prev, reference, cur] = blocks;
            let (mut used, mut portable) = (cur, cur);
            compress_in_use(&prev, &reference, &mut used, xor);
            compress_portable(&prev, &reference, &mut portable, xor);
            prop_assert_eq!(used, portable);
        }
    }
}
