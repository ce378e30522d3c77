//! Where randomness enters the core.
//!
//! Core functions never call a random number generator themselves: they take an [`Entropy`], so tests
//! can be deterministic. Shells pass [`SystemEntropy`], which reads `getrandom` — in a Worker only
//! inside a request handler, never at module load (the runtime forbids it there).

use super::error::{Error, Result};

/// A source of random bytes.
pub trait Entropy {
    /// Fills `buf` with random bytes.
    ///
    /// # Errors
    /// [`Error::RandomUnavailable`] when the source cannot deliver.
    fn fill(&mut self, buf: &mut [u8]) -> Result<()>;
}

/// The operating system's (or, in wasm, the JavaScript host's) CSPRNG, through `getrandom`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemEntropy;

impl Entropy for SystemEntropy {
    fn fill(&mut self, buf: &mut [u8]) -> Result<()> {
        getrandom::fill(buf).map_err(|_| Error::RandomUnavailable)
    }
}

impl<F: FnMut(&mut [u8]) -> Result<()>> Entropy for F {
    fn fill(&mut self, buf: &mut [u8]) -> Result<()> {
        self(buf)
    }
}

/// A deterministic byte stream for tests (a 64-bit xorshift). Not for production use.
#[derive(Clone, Debug)]
pub struct TestEntropy(u64);

impl TestEntropy {
    /// A stream starting from `seed` (0 is replaced by a fixed non-zero seed).
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }
}

impl Entropy for TestEntropy {
    fn fill(&mut self, buf: &mut [u8]) -> Result<()> {
        for b in buf {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *b = self.0.to_le_bytes()[0];
        }
        Ok(())
    }
}
