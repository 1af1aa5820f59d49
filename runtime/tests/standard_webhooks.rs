//! The Standard Webhooks scheme: known-answer vectors from the spec's reference libraries, and
//! every way a header can be wrong. Timestamps are checked against an explicit clock.

use webhook_runtime::verify::standard::StandardWebhooks;
use webhook_runtime::{KeyError, VerifyError};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS: i64 = 1614265330;
/// The exact bytes: a space after the colon. Never re-serialised.
const BODY: &[u8] = br#"{"test": 2432232314}"#;
const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

fn headers(id: &str, ts: &str, sig: &str) -> Vec<(String, String)> {
    vec![("webhook-id".into(), id.into()), ("webhook-timestamp".into(), ts.into()), ("webhook-signature".into(), sig.into())]
}

fn verify(sig: &str) -> Result<(), VerifyError> {
    let v = StandardWebhooks::new([SECRET]).unwrap();
    v.verify_at(&headers(ID, &TS.to_string(), sig), BODY, TS).map(|_| ())
}

#[test]
fn known_answer_vectors() {
    let v = StandardWebhooks::new([SECRET]).unwrap();
    assert_eq!(v.sign(ID, TS, BODY), SIGNATURE);
    assert_eq!(verify(SIGNATURE), Ok(()));

    let v2 = StandardWebhooks::new(["whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"]).unwrap();
    let body = br#"{"email":"test@example.com","username":"test_user"}"#;
    assert_eq!(v2.sign("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553, body), "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
}

#[test]
fn near_misses_and_decoys_fail() {
    assert_eq!(verify("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="), Err(VerifyError::NoMatchingSignature));
    for decoy in [
        "v1,tFtCZ5RDCPxzWQRWXWPgrCgE2frDBe9gjpbWQxnVfsQ=",
        "v1,Mm7xgUVICxZfQ3bgf0h0Dof65L/IFx+PnZvnDWPCX6Q=",
        "v1,9DfC1c3eeOrXB6w/5dIDydLNQaEyww5KalE5jLBZucE=",
    ] {
        assert_eq!(verify(decoy), Err(VerifyError::NoMatchingSignature), "{decoy}");
    }
}

#[test]
fn signature_lists_are_parsed_strictly() {
    let decoy = "v1,tFtCZ5RDCPxzWQRWXWPgrCgE2frDBe9gjpbWQxnVfsQ=";
    // The valid one first, in the middle, last; with other versions and extra spaces around.
    for list in [
        format!("{SIGNATURE} {decoy}"),
        format!("{decoy} {SIGNATURE} v2,abc"),
        format!("v1a,xyz {decoy}  {SIGNATURE}"),
        format!("  {SIGNATURE}  "),
    ] {
        assert_eq!(verify(&list), Ok(()), "{list}");
    }
    let truncated = &SIGNATURE[..11];
    let too_long = format!("{}AAAA", &SIGNATURE[..SIGNATURE.len() - 1]);
    for bad in [
        "v1,",
        truncated,
        too_long.as_str(),
        "v1,!!!notbase64",
        "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        "v1a,only",
    ] {
        assert_eq!(verify(bad), Err(VerifyError::NoMatchingSignature), "{bad}");
    }
    let many = vec![decoy; 33].join(" ");
    assert!(matches!(verify(&many), Err(VerifyError::MalformedHeader { name: "webhook-signature", .. })));
}

#[test]
fn timestamps_at_and_past_the_tolerance_both_ways() {
    let v = StandardWebhooks::new([SECRET]).unwrap();
    let at = |now: i64| v.verify_at(&headers(ID, &TS.to_string(), SIGNATURE), BODY, now).map(|_| ());
    assert_eq!(at(TS + 300), Ok(()));
    assert_eq!(at(TS - 300), Ok(()));
    assert_eq!(at(TS + 301), Err(VerifyError::TimestampTooOld));
    assert_eq!(at(TS - 301), Err(VerifyError::TimestampInFuture));
    // Extreme clocks and timestamps: defined errors, no overflow (these tests run in debug builds).
    assert_eq!(at(i64::MAX), Err(VerifyError::TimestampTooOld));
    assert_eq!(at(i64::MIN), Err(VerifyError::TimestampInFuture));
    let sig_for = |ts: i64| v.sign(ID, ts, BODY);
    for (ts, now, expected) in [
        (i64::MIN, TS, VerifyError::TimestampTooOld),
        (i64::MAX, TS, VerifyError::TimestampInFuture),
        (i64::MIN, i64::MAX, VerifyError::TimestampTooOld),
        (i64::MAX, i64::MIN, VerifyError::TimestampInFuture),
    ] {
        let result = v.verify_at(&headers(ID, &ts.to_string(), &sig_for(ts)), BODY, now);
        assert_eq!(result.map(|_| ()), Err(expected), "ts {ts} now {now}");
    }
}

#[test]
fn malformed_timestamps_are_refused_before_hashing() {
    let v = StandardWebhooks::new([SECRET]).unwrap();
    for ts in ["hello", "", "+1614265330", "01614265330", " 1614265330", "1614265330.5", "-", "99999999999999999999", "1614265330 "] {
        let result = v.verify_at(&headers(ID, ts, SIGNATURE), BODY, TS);
        assert!(matches!(result, Err(VerifyError::MalformedHeader { name: "webhook-timestamp", .. })), "{ts:?}: {result:?}");
    }
}

#[test]
fn headers_missing_empty_duplicated_or_not_ascii() {
    let v = StandardWebhooks::new([SECRET]).unwrap();
    let good = headers(ID, &TS.to_string(), SIGNATURE);
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let without: Vec<_> = good.iter().filter(|(n, _)| n != name).cloned().collect();
        assert_eq!(v.verify_at(&without, BODY, TS).map(|_| ()), Err(VerifyError::MissingHeader(name)));

        let mut twice = good.clone();
        twice.push(good.iter().find(|(n, _)| n == name).unwrap().clone());
        assert_eq!(v.verify_at(&twice, BODY, TS).map(|_| ()), Err(VerifyError::DuplicateHeader(name)));

        let empty: Vec<(String, Vec<u8>)> =
            good.iter().map(|(n, val)| (n.clone(), if n == name { Vec::new() } else { val.clone().into_bytes() })).collect();
        assert!(matches!(v.verify_at(&empty, BODY, TS), Err(VerifyError::MalformedHeader { name: n, .. }) if n == name));

        let non_ascii: Vec<(String, Vec<u8>)> =
            good.iter().map(|(n, val)| (n.clone(), if n == name { vec![0xff, b'a'] } else { val.clone().into_bytes() })).collect();
        assert!(matches!(v.verify_at(&non_ascii, BODY, TS), Err(VerifyError::MalformedHeader { name: n, .. }) if n == name));
    }
    // Header names are case-insensitive.
    let upper: Vec<(String, String)> = good.iter().map(|(n, val)| (n.to_uppercase(), val.clone())).collect();
    assert_eq!(v.verify_at(&upper, BODY, TS).map(|_| ()), Ok(()));
    // An id with a dot could make two messages sign the same string.
    let dotted = headers("msg.1", &TS.to_string(), SIGNATURE);
    assert!(matches!(v.verify_at(&dotted, BODY, TS), Err(VerifyError::MalformedHeader { name: "webhook-id", .. })));
}

#[test]
fn tampered_bodies_fail() {
    let v = StandardWebhooks::new([SECRET]).unwrap();
    let h = headers(ID, &TS.to_string(), SIGNATURE);
    let mut flipped = BODY.to_vec();
    flipped[3] ^= 1;
    let newline = [BODY, b"\n"].concat();
    let reordered = br#"{"test":2432232314}"#.to_vec();
    for body in [flipped, newline, reordered, Vec::new()] {
        assert_eq!(v.verify_at(&h, &body, TS).map(|_| ()), Err(VerifyError::NoMatchingSignature), "{:?}", String::from_utf8_lossy(&body));
    }
}

#[test]
fn non_utf8_bodies_are_refused() {
    let v = StandardWebhooks::new([SECRET]).unwrap();
    let body = [0xff, 0xfe];
    let h = headers(ID, &TS.to_string(), &v.sign(ID, TS, &body));
    assert_eq!(v.verify_at(&h, &body, TS).map(|_| ()), Err(VerifyError::NotUtf8));
}

#[test]
fn keys_are_checked_when_the_verifier_is_built() {
    assert_eq!(StandardWebhooks::new(["whsec_"]).unwrap_err(), KeyError::BadLength(0));
    assert_eq!(StandardWebhooks::new([""]).unwrap_err(), KeyError::Empty);
    assert_eq!(StandardWebhooks::new([format!(" {SECRET}")]).unwrap_err(), KeyError::Whitespace);
    assert_eq!(StandardWebhooks::new(["whsec_c2hvcnQ="]).unwrap_err(), KeyError::BadLength(5));
    assert_eq!(StandardWebhooks::new(["whsec_!!"]).unwrap_err(), KeyError::NotBase64);
    assert_eq!(StandardWebhooks::new(Vec::<String>::new()).unwrap_err(), KeyError::NoKeys);
    // Without the prefix, and with padding left off, the same key.
    let bare = StandardWebhooks::new(["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]).unwrap();
    assert_eq!(bare.sign(ID, TS, BODY), SIGNATURE);
    // Rotation: a signature by either key verifies.
    let both = StandardWebhooks::new(["whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", SECRET]).unwrap();
    assert_eq!(both.verify_at(&headers(ID, &TS.to_string(), SIGNATURE), BODY, TS).map(|_| ()), Ok(()));
    assert!(!format!("{both:?}").contains("MfKQ"));
}
