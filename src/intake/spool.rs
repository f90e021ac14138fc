//! An uploaded statement, spooled to disk encrypted (SPEC §10: files up to
//! 64 MiB are streamed to disk, not held in memory, and what a bank sends
//! is private).
//!
//! The file is an unnamed temporary file (gone when closed, or when the
//! process dies), written in chunks of 64 KiB, each sealed with
//! XChaCha20-Poly1305 under a key made for this file alone and kept only
//! in memory; the nonce is a random prefix and the chunk's number, and the
//! last chunk is marked, so chunks cannot be reordered, dropped or cut
//! short unnoticed. Reading decrypts one chunk at a time and can seek,
//! which a zip (XLSX) needs.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Plaintext bytes per chunk.
const CHUNK: usize = 64 * 1024;
/// Poly1305 tag per chunk.
const TAG: usize = 16;

/// Writes a spool; [`SpoolWriter::finish`] gives the [`Spool`] to read.
pub struct SpoolWriter {
    file: File,
    cipher: XChaCha20Poly1305,
    prefix: [u8; 15],
    buf: Vec<u8>,
    chunks: u64,
    len: u64,
    max: u64,
    sha: Sha256,
}

/// A spooled file: its length and SHA-256 (of the plaintext), readable
/// any number of times.
pub struct Spool {
    file: File,
    cipher: XChaCha20Poly1305,
    prefix: [u8; 15],
    len: u64,
    pub sha256: [u8; 32],
}

/// The spool is over its limit.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("the file is larger than {max} bytes")]
    TooLarge { max: u64 },
    #[error("the spool file: {0}")]
    Io(#[from] io::Error),
}

fn nonce(prefix: &[u8; 15], chunk: u64, last: bool) -> XNonce {
    let mut n = [0u8; 24];
    n[..15].copy_from_slice(prefix);
    n[15..23].copy_from_slice(&chunk.to_be_bytes());
    n[23] = u8::from(last);
    *XNonce::from_slice(&n)
}

impl SpoolWriter {
    /// A new spool in the system's temporary directory, refusing more
    /// than `max` bytes.
    pub fn new(max: u64) -> io::Result<Self> {
        let mut key = [0u8; 32];
        let mut prefix = [0u8; 15];
        rand::rngs::OsRng.fill_bytes(&mut key);
        rand::rngs::OsRng.fill_bytes(&mut prefix);
        Ok(Self {
            file: tempfile::tempfile()?,
            cipher: XChaCha20Poly1305::new((&key).into()),
            prefix,
            buf: Vec::with_capacity(CHUNK),
            chunks: 0,
            len: 0,
            max,
            sha: Sha256::new(),
        })
    }

    fn seal_chunk(&mut self, last: bool) -> io::Result<()> {
        let sealed = self
            .cipher
            .encrypt(
                &nonce(&self.prefix, self.chunks, last),
                Payload {
                    msg: &self.buf,
                    aad: b"sovang spool v1",
                },
            )
            .map_err(|_| io::Error::other("a spool chunk could not be encrypted"))?;
        self.file.write_all(&sealed)?;
        self.chunks += 1;
        self.buf.clear();
        Ok(())
    }

    /// Appends bytes; refuses once the spool passes its limit.
    pub fn write(&mut self, mut bytes: &[u8]) -> Result<(), SpoolError> {
        self.len += bytes.len() as u64;
        if self.len > self.max {
            return Err(SpoolError::TooLarge { max: self.max });
        }
        self.sha.update(bytes);
        while !bytes.is_empty() {
            let take = (CHUNK - self.buf.len()).min(bytes.len());
            self.buf.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.buf.len() == CHUNK {
                self.seal_chunk(false)?;
            }
        }
        Ok(())
    }

    /// Seals the last chunk (possibly empty) and opens the spool to read.
    pub fn finish(mut self) -> io::Result<Spool> {
        self.seal_chunk(true)?;
        self.file.flush()?;
        Ok(Spool {
            file: self.file,
            cipher: self.cipher,
            prefix: self.prefix,
            len: self.len,
            sha256: self.sha.finalize().into(),
        })
    }
}

impl Spool {
    /// Plaintext length.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A reader from the start.
    pub fn reader(&self) -> io::Result<SpoolReader<'_>> {
        Ok(SpoolReader {
            spool: self,
            file: self.file.try_clone()?,
            pos: 0,
            chunk: None,
        })
    }

    fn chunks(&self) -> u64 {
        self.len / CHUNK as u64 + 1
    }
}

/// Reads a [`Spool`], decrypting a chunk at a time.
pub struct SpoolReader<'a> {
    spool: &'a Spool,
    file: File,
    pos: u64,
    /// The chunk decrypted last: (its number, its plaintext).
    chunk: Option<(u64, Vec<u8>)>,
}

impl SpoolReader<'_> {
    fn load(&mut self, n: u64) -> io::Result<()> {
        if self.chunk.as_ref().is_some_and(|(c, _)| *c == n) {
            return Ok(());
        }
        let last = n + 1 == self.spool.chunks();
        let size = if last {
            (self.spool.len - n * CHUNK as u64) as usize
        } else {
            CHUNK
        };
        let mut sealed = vec![0u8; size + TAG];
        self.file.seek(SeekFrom::Start(n * (CHUNK + TAG) as u64))?;
        self.file.read_exact(&mut sealed)?;
        let plain = self
            .spool
            .cipher
            .decrypt(
                &nonce(&self.spool.prefix, n, last),
                Payload {
                    msg: &sealed,
                    aad: b"sovang spool v1",
                },
            )
            .map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidData, "a spool chunk does not decrypt")
            })?;
        self.chunk = Some((n, plain));
        Ok(())
    }
}

impl Read for SpoolReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.spool.len || out.is_empty() {
            return Ok(0);
        }
        let n = self.pos / CHUNK as u64;
        self.load(n)?;
        let Some((_, plain)) = &self.chunk else {
            return Ok(0);
        };
        let at = (self.pos - n * CHUNK as u64) as usize;
        let take = (plain.len() - at).min(out.len());
        out[..take].copy_from_slice(&plain[at..at + take]);
        self.pos += take as u64;
        Ok(take)
    }
}

impl Seek for SpoolReader<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let len = i128::from(self.spool.len);
        let target = match to {
            SeekFrom::Start(p) => i128::from(p),
            SeekFrom::End(d) => len + i128::from(d),
            SeekFrom::Current(d) => i128::from(self.pos) + i128::from(d),
        };
        if target < 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start",
            ));
        }
        self.pos = u64::try_from(target).map_err(|_| io::Error::other("seek too far"))?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spool(bytes: &[u8]) -> Spool {
        let mut w = SpoolWriter::new(1 << 30).unwrap();
        for part in bytes.chunks(7_000) {
            w.write(part).unwrap();
        }
        w.finish().unwrap()
    }

    #[test]
    fn what_is_written_reads_back_with_seeks_across_chunks() {
        let data: Vec<u8> = (0..(3 * CHUNK + 123))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let s = spool(&data);
        assert_eq!(s.len(), data.len() as u64);
        assert_eq!(s.sha256, <[u8; 32]>::from(Sha256::digest(&data)));
        let mut all = Vec::new();
        s.reader().unwrap().read_to_end(&mut all).unwrap();
        assert_eq!(all, data);
        let mut r = s.reader().unwrap();
        for at in [
            CHUNK as u64 - 3,
            5,
            2 * CHUNK as u64 + 1,
            data.len() as u64 - 10,
        ] {
            r.seek(SeekFrom::Start(at)).unwrap();
            let mut b = [0u8; 10];
            r.read_exact(&mut b).unwrap();
            assert_eq!(&b[..], &data[at as usize..at as usize + 10]);
        }
        r.seek(SeekFrom::End(-4)).unwrap();
        let mut tail = Vec::new();
        r.read_to_end(&mut tail).unwrap();
        assert_eq!(tail, &data[data.len() - 4..]);
    }

    #[test]
    fn the_disk_holds_no_plaintext_and_an_altered_chunk_does_not_read() {
        let data = b"CT tu 0351000646393 NGUYEN THE HUNG toi 0011001234567".repeat(2000);
        let s = spool(&data);
        let mut disk = Vec::new();
        let mut f = s.file.try_clone().unwrap();
        f.seek(SeekFrom::Start(0)).unwrap();
        f.read_to_end(&mut disk).unwrap();
        assert!(!disk.windows(13).any(|w| w == b"0351000646393"));
        // Flip one byte of the second chunk.
        f.seek(SeekFrom::Start((CHUNK + TAG + 5) as u64)).unwrap();
        f.write_all(&[disk[CHUNK + TAG + 5] ^ 1]).unwrap();
        let mut all = Vec::new();
        let e = s.reader().unwrap().read_to_end(&mut all).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn a_spool_refuses_past_its_limit_and_an_empty_one_reads_empty() {
        let mut w = SpoolWriter::new(10).unwrap();
        w.write(b"0123456789").unwrap();
        assert!(matches!(
            w.write(b"x"),
            Err(SpoolError::TooLarge { max: 10 })
        ));
        let s = spool(b"");
        assert!(s.is_empty());
        let mut all = Vec::new();
        s.reader().unwrap().read_to_end(&mut all).unwrap();
        assert!(all.is_empty());
    }
}
