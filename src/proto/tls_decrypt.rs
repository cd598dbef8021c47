//! TLS record decryption with logged secrets: the TLS 1.2 PRF (RFC 5246 §5) and key block
//! (§6.3), the TLS 1.3 key schedule's HKDF-Expand-Label (RFC 8446 §7.1, RFC 5869), and the
//! record protections of the suites MRA clients use: AES-GCM and ChaCha20-Poly1305 (TLS 1.2
//! and 1.3), AES-CBC with HMAC-SHA1/SHA256/SHA384 (TLS 1.2, MAC then encrypt).

use ring::{aead, hmac};

/// How a suite protects records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protection {
    Gcm,
    ChaCha,
    Cbc { mac: MacHash },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MacHash {
    Sha1,
    Sha256,
    Sha384,
}

impl MacHash {
    fn algorithm(self) -> hmac::Algorithm {
        match self {
            MacHash::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            MacHash::Sha256 => hmac::HMAC_SHA256,
            MacHash::Sha384 => hmac::HMAC_SHA384,
        }
    }

    fn len(self) -> usize {
        match self {
            MacHash::Sha1 => 20,
            MacHash::Sha256 => 32,
            MacHash::Sha384 => 48,
        }
    }
}

/// A cipher suite we can decrypt: its protection, key length and PRF/HKDF hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Suite {
    protection: Protection,
    key_len: usize,
    /// SHA-384 for the PRF or HKDF, else SHA-256.
    sha384: bool,
    tls13: bool,
}

impl Suite {
    pub fn of(cipher: u16) -> Option<Suite> {
        use MacHash::*;
        use Protection::*;
        let (protection, key_len, sha384, tls13) = match cipher {
            0x1301 => (Gcm, 16, false, true),
            0x1302 => (Gcm, 32, true, true),
            0x1303 => (ChaCha, 32, false, true),
            // (EC)DHE and RSA key exchange with AES-GCM.
            0xc02b | 0xc02f | 0x009c | 0x009e => (Gcm, 16, false, false),
            0xc02c | 0xc030 | 0x009d | 0x009f => (Gcm, 32, true, false),
            0xcca8..=0xccaa => (ChaCha, 32, false, false),
            // AES-CBC with HMAC.
            0xc009 | 0xc013 | 0x002f | 0x0033 => (Cbc { mac: Sha1 }, 16, false, false),
            0xc00a | 0xc014 | 0x0035 | 0x0039 => (Cbc { mac: Sha1 }, 32, false, false),
            0xc023 | 0xc027 | 0x003c | 0x0067 => (Cbc { mac: Sha256 }, 16, false, false),
            0x003d | 0x006b => (Cbc { mac: Sha256 }, 32, false, false),
            0xc024 | 0xc028 => (Cbc { mac: Sha384 }, 32, true, false),
            _ => return None,
        };
        Some(Suite {
            protection,
            key_len,
            sha384,
            tls13,
        })
    }

    fn hash(self) -> hmac::Algorithm {
        if self.sha384 {
            hmac::HMAC_SHA384
        } else {
            hmac::HMAC_SHA256
        }
    }

    /// TLS 1.2: the fixed part of the nonce (GCM 4 bytes, ChaCha20 12) or the CBC IV.
    fn iv_len_12(self) -> usize {
        match self.protection {
            Protection::Gcm => 4,
            Protection::ChaCha => 12,
            Protection::Cbc { .. } => 16,
        }
    }
}

/// P_hash of RFC 5246 §5: the TLS 1.2 PRF with the suite's hash.
pub fn prf(hash: hmac::Algorithm, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let key = hmac::Key::new(hash, secret);
    let mut label_seed = label.to_vec();
    label_seed.extend_from_slice(seed);
    let mut a = hmac::sign(&key, &label_seed).as_ref().to_vec();
    let mut out = Vec::with_capacity(len + 48);
    while out.len() < len {
        let mut input = a.clone();
        input.extend_from_slice(&label_seed);
        out.extend_from_slice(hmac::sign(&key, &input).as_ref());
        a = hmac::sign(&key, &a).as_ref().to_vec();
    }
    out.truncate(len);
    out
}

/// HKDF-Expand-Label of RFC 8446 §7.1 with an empty context (keys and IVs need no more).
pub fn expand_label(hash: hmac::Algorithm, secret: &[u8], label: &str, len: usize) -> Vec<u8> {
    let full = format!("tls13 {label}");
    let mut info = Vec::with_capacity(4 + full.len());
    info.extend_from_slice(&(len as u16).to_be_bytes());
    info.push(full.len() as u8);
    info.extend_from_slice(full.as_bytes());
    info.push(0);
    // HKDF-Expand (RFC 5869 §2.3): T(i) = HMAC(PRK, T(i-1) | info | i).
    let prk = hmac::Key::new(hash, secret);
    let mut out = Vec::with_capacity(len + 48);
    let mut previous: Vec<u8> = Vec::new();
    let mut counter = 1u8;
    while out.len() < len {
        let mut input = previous.clone();
        input.extend_from_slice(&info);
        input.push(counter);
        previous = hmac::sign(&prk, &input).as_ref().to_vec();
        out.extend_from_slice(&previous);
        counter += 1;
    }
    out.truncate(len);
    out
}

/// One direction's record protection and its sequence number.
pub struct Decrypter {
    suite: Suite,
    /// The AEAD key, scheduled once (GCM and ChaCha20 suites).
    aead: Option<aead::LessSafeKey>,
    /// The AES key, scheduled once (CBC suites).
    cbc: Option<CbcKey>,
    /// TLS 1.3 and ChaCha20: the 12-byte IV; GCM in TLS 1.2: the 4-byte salt; CBC: unused.
    iv: Vec<u8>,
    mac_key: Vec<u8>,
    seq: u64,
}

/// Why a record did not decrypt.
#[derive(Debug, PartialEq, Eq)]
pub enum DecryptError {
    TooShort,
    /// The tag (or the MAC) does not verify: wrong keys, or a record out of sequence.
    Integrity,
    BadPadding,
}

impl Decrypter {
    fn new(suite: Suite, key: Vec<u8>, iv: Vec<u8>, mac_key: Vec<u8>) -> Decrypter {
        let algorithm = match (suite.protection, suite.key_len) {
            (Protection::ChaCha, _) => Some(&aead::CHACHA20_POLY1305),
            (Protection::Gcm, 16) => Some(&aead::AES_128_GCM),
            (Protection::Gcm, _) => Some(&aead::AES_256_GCM),
            (Protection::Cbc { .. }, _) => None,
        };
        let aead = algorithm
            .and_then(|a| aead::UnboundKey::new(a, &key).ok())
            .map(aead::LessSafeKey::new);
        let cbc = match suite.protection {
            Protection::Cbc { .. } => CbcKey::new(&key),
            _ => None,
        };
        Decrypter {
            suite,
            aead,
            cbc,
            iv,
            mac_key,
            seq: 0,
        }
    }

    /// TLS 1.3: the keys of one traffic secret (handshake or application).
    pub fn tls13(suite: Suite, secret: &[u8]) -> Decrypter {
        Decrypter::new(
            suite,
            expand_label(suite.hash(), secret, "key", suite.key_len),
            expand_label(suite.hash(), secret, "iv", 12),
            Vec::new(),
        )
    }

    /// TLS 1.2: both directions' keys from the master secret and the two randoms.
    pub fn tls12(
        suite: Suite,
        master: &[u8],
        client_random: &[u8; 32],
        server_random: &[u8; 32],
    ) -> (Decrypter, Decrypter) {
        let mac_len = match suite.protection {
            Protection::Cbc { mac } => mac.len(),
            _ => 0,
        };
        let iv_len = suite.iv_len_12();
        let mut seed = server_random.to_vec();
        seed.extend_from_slice(client_random);
        let block = prf(
            suite.hash(),
            master,
            b"key expansion",
            &seed,
            2 * (mac_len + suite.key_len + iv_len),
        );
        let mut at = 0;
        let mut take = |n: usize| {
            let part = block[at..at + n].to_vec();
            at += n;
            part
        };
        let (client_mac, server_mac) = (take(mac_len), take(mac_len));
        let (client_key, server_key) = (take(suite.key_len), take(suite.key_len));
        let (client_iv, server_iv) = (take(iv_len), take(iv_len));
        let make = |key, iv, mac_key| Decrypter::new(suite, key, iv, mac_key);
        (
            make(client_key, client_iv, client_mac),
            make(server_key, server_iv, server_mac),
        )
    }

    /// Decrypt one record (header: content type, version, length; then the body). Returns
    /// the content type and the plaintext (TLS 1.3: the inner type, padding removed).
    pub fn open(&mut self, header: &[u8; 5], body: &[u8]) -> Result<(u8, Vec<u8>), DecryptError> {
        let seq = self.seq;
        self.seq += 1;
        match self.suite.protection {
            Protection::Cbc { mac } => self.open_cbc(mac, seq, header, body),
            _ if self.suite.tls13 => {
                let aad = *header;
                let mut plain = self.open_aead(&self.nonce_xor(seq), &aad, body)?;
                // TLSInnerPlaintext: content, the real type, zero padding.
                let end = plain
                    .iter()
                    .rposition(|&b| b != 0)
                    .ok_or(DecryptError::BadPadding)?;
                let kind = plain[end];
                plain.truncate(end);
                Ok((kind, plain))
            }
            Protection::Gcm => {
                if body.len() < 8 + 16 {
                    return Err(DecryptError::TooShort);
                }
                let mut nonce = [0u8; 12];
                nonce[..4].copy_from_slice(&self.iv);
                nonce[4..].copy_from_slice(&body[..8]);
                let aad = aad12(seq, header, body.len() - 8 - 16);
                Ok((header[0], self.open_aead(&nonce, &aad, &body[8..])?))
            }
            Protection::ChaCha => {
                if body.len() < 16 {
                    return Err(DecryptError::TooShort);
                }
                let aad = aad12(seq, header, body.len() - 16);
                Ok((header[0], self.open_aead(&self.nonce_xor(seq), &aad, body)?))
            }
        }
    }

    /// The 12-byte IV with the sequence number XORed into its last 8 bytes.
    fn nonce_xor(&self, seq: u64) -> [u8; 12] {
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&self.iv[..12]);
        for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
            *n ^= s;
        }
        nonce
    }

    fn open_aead(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        sealed: &[u8],
    ) -> Result<Vec<u8>, DecryptError> {
        if sealed.len() < 16 {
            return Err(DecryptError::TooShort);
        }
        let key = self.aead.as_ref().ok_or(DecryptError::Integrity)?;
        let mut buf = sealed.to_vec();
        let plain = key
            .open_in_place(
                aead::Nonce::assume_unique_for_key(*nonce),
                aead::Aad::from(aad),
                &mut buf,
            )
            .map_err(|_| DecryptError::Integrity)?;
        let n = plain.len();
        buf.truncate(n);
        Ok(buf)
    }

    fn open_cbc(
        &self,
        mac: MacHash,
        seq: u64,
        header: &[u8; 5],
        body: &[u8],
    ) -> Result<(u8, Vec<u8>), DecryptError> {
        // TLS 1.1 and later: an explicit IV, then whole blocks.
        if body.len() < 32 || !body.len().is_multiple_of(16) {
            return Err(DecryptError::TooShort);
        }
        let cipher = self.cbc.as_ref().ok_or(DecryptError::Integrity)?;
        let mut plain = Vec::with_capacity(body.len() - 16);
        for pair in body.windows(32).step_by(16) {
            let mut block = aes::Block::try_from(&pair[16..]).expect("16 bytes");
            cipher.decrypt(&mut block);
            plain.extend(block.iter().zip(&pair[..16]).map(|(p, c)| p ^ c));
        }
        let pad = *plain.last().ok_or(DecryptError::BadPadding)? as usize;
        if pad + 1 + mac.len() > plain.len()
            || plain[plain.len() - 1 - pad..]
                .iter()
                .any(|&b| b as usize != pad)
        {
            return Err(DecryptError::BadPadding);
        }
        plain.truncate(plain.len() - 1 - pad);
        let content_len = plain.len() - mac.len();
        let (content, tag) = plain.split_at(content_len);
        let key = hmac::Key::new(mac.algorithm(), &self.mac_key);
        let mut signed = aad12(seq, header, content_len).to_vec();
        signed.extend_from_slice(content);
        hmac::verify(&key, &signed, tag).map_err(|_| DecryptError::Integrity)?;
        plain.truncate(content_len);
        Ok((header[0], plain))
    }
}

/// AES-128 or AES-256, its round keys computed once.
enum CbcKey {
    Aes128(aes::Aes128),
    Aes256(aes::Aes256),
}

impl CbcKey {
    fn new(key: &[u8]) -> Option<CbcKey> {
        use aes::cipher::KeyInit;
        match key.len() {
            16 => aes::Aes128::new_from_slice(key).ok().map(CbcKey::Aes128),
            32 => aes::Aes256::new_from_slice(key).ok().map(CbcKey::Aes256),
            _ => None,
        }
    }

    fn decrypt(&self, block: &mut aes::Block) {
        use aes::cipher::BlockCipherDecrypt;
        match self {
            CbcKey::Aes128(c) => c.decrypt_block(block),
            CbcKey::Aes256(c) => c.decrypt_block(block),
        }
    }
}

/// TLS 1.2's additional data: sequence number, type, version, plaintext length.
fn aad12(seq: u64, header: &[u8; 5], plain_len: usize) -> [u8; 13] {
    let mut aad = [0u8; 13];
    aad[..8].copy_from_slice(&seq.to_be_bytes());
    aad[8..11].copy_from_slice(&header[..3]);
    aad[11..].copy_from_slice(&(plain_len as u16).to_be_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::keylog::hex;

    fn h(text: &str) -> Vec<u8> {
        hex(&text.replace([' ', '\n'], "")).expect("hex")
    }

    #[test]
    fn the_tls_1_2_prf_matches_the_published_sha256_vector() {
        // The P_SHA256 test vector circulated on the IETF TLS list (secret, seed, "test label").
        let out = prf(
            hmac::HMAC_SHA256,
            &h("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35"),
            b"test label",
            &h("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c"),
            100,
        );
        assert_eq!(
            out[..32],
            h(
                "e3 f2 29 ba 72 7b e1 7b 8d 12 26 20 55 7c d4 53 c2 aa b2 1d 07 c3 d4 95 32 9b 52 d4 e6 1e db 5a"
            )[..]
        );
        assert_eq!(out.len(), 100);
    }

    #[test]
    fn the_tls_1_3_traffic_keys_match_rfc_8448() {
        // RFC 8448 §3, {server} derive write traffic keys for handshake data.
        let secret = h(
            "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38",
        );
        assert_eq!(
            expand_label(hmac::HMAC_SHA256, &secret, "key", 16),
            h("3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc")
        );
        assert_eq!(
            expand_label(hmac::HMAC_SHA256, &secret, "iv", 12),
            h("5d 31 3e b2 67 12 76 ee 13 00 0b 30")
        );
    }

    /// Seal with ring as a TLS 1.3 peer would, open with ours: nonce, additional data and the
    /// inner content type must all be right.
    #[test]
    fn a_tls_1_3_record_opens_and_a_tampered_one_does_not() {
        for cipher in [0x1301u16, 0x1302, 0x1303] {
            let suite = Suite::of(cipher).unwrap();
            let secret = vec![7u8; if suite.sha384 { 48 } else { 32 }];
            let mut ours = Decrypter::tls13(suite, &secret);
            let key = expand_label(suite.hash(), &secret, "key", suite.key_len);
            let iv = ours.iv.clone();
            let algorithm = match cipher {
                0x1301 => &aead::AES_128_GCM,
                0x1302 => &aead::AES_256_GCM,
                _ => &aead::CHACHA20_POLY1305,
            };
            let sealer = aead::LessSafeKey::new(aead::UnboundKey::new(algorithm, &key).unwrap());
            for (seq, text) in [(0u64, &b"GET / HTTP/1.1\r\n\r\n"[..]), (1, b"second")] {
                let mut inner = text.to_vec();
                inner.extend_from_slice(&[23, 0, 0]);
                let len = (inner.len() + 16) as u16;
                let header = [23, 3, 3, (len >> 8) as u8, len as u8];
                let mut nonce = [0u8; 12];
                nonce.copy_from_slice(&iv);
                for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
                    *n ^= s;
                }
                sealer
                    .seal_in_place_append_tag(
                        aead::Nonce::assume_unique_for_key(nonce),
                        aead::Aad::from(header),
                        &mut inner,
                    )
                    .unwrap();
                if seq == 1 {
                    let mut tampered = inner.clone();
                    tampered[0] ^= 1;
                    let mut fresh = Decrypter::tls13(suite, &secret);
                    fresh.seq = 1;
                    assert_eq!(fresh.open(&header, &tampered), Err(DecryptError::Integrity));
                }
                assert_eq!(
                    ours.open(&header, &inner),
                    Ok((23, text.to_vec())),
                    "{cipher:04x}"
                );
            }
        }
    }

    #[test]
    fn suites_mra_clients_offer_are_known() {
        for cipher in [
            0x1301, 0x1302, 0x1303, 0xc02f, 0xc030, 0xcca8, 0xc013, 0xc027, 0x009c,
        ] {
            assert!(Suite::of(cipher).is_some(), "{cipher:04x}");
        }
        assert!(Suite::of(0x000a).is_none(), "3DES is not decrypted");
    }
}
