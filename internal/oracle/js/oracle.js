// Independent check of bpkeys' output with two implementations bpkeys did not
// write: @wharfkit/antelope and eosjs. Reads a JSON request on stdin, writes
// a JSON answer on stdout. It reports what the libraries compute; the Go side
// compares. Neither library checks canonical form or low S: Go asserts those.
'use strict';
const crypto = require('crypto');
const {Signature, PublicKey, PrivateKey, Checksum256, Serializer, Transaction, Action, Bytes, ABI} = require('@wharfkit/antelope');
const jssig = require('eosjs/dist/eosjs-jssig');

function attempt(fn) {
  try { return {value: fn()}; } catch (e) { return {error: String(e && e.message || e)}; }
}

function digestOf(v) {
  const h = crypto.createHash('sha256');
  h.update(Buffer.from(v.chain_id, 'hex'));
  h.update(Buffer.from(v.packed_trx, 'hex'));
  if (v.packed_cfd && v.packed_cfd !== '00') {
    h.update(crypto.createHash('sha256').update(Buffer.from(v.packed_cfd, 'hex')).digest());
  } else {
    h.update(Buffer.alloc(32));
  }
  return h.digest('hex');
}

function checkVector(v) {
  const out = {};
  out.digest = v.digest || digestOf(v);
  if (v.packed_trx && !v.digest) {
    // wharfkit decodes the transaction itself and computes its signing digest.
    const r = attempt(() => {
      const trx = Serializer.decode({data: Bytes.from(v.packed_trx, 'hex'), type: Transaction});
      return {digest: String(trx.signingDigest(v.chain_id)), id: String(trx.id)};
    });
    if (r.error) out.wharfkit_decode_error = r.error; else { out.wharfkit_digest = r.value.digest; out.wharfkit_id = r.value.id; }
  }
  const w = attempt(() => String(Signature.from(v.signature).recoverDigest(Checksum256.from(out.digest))));
  if (w.error) out.wharfkit_error = w.error; else out.wharfkit = w.value;
  const e = attempt(() => jssig.Signature.fromString(v.signature).recover(Buffer.from(out.digest, 'hex'), false).toString());
  if (e.error) out.eosjs_error = e.error; else out.eosjs = e.value;
  return out;
}

function checkKey(s) {
  const out = {};
  const w = attempt(() => { const k = PublicKey.from(s); return {s: String(k), legacy: k.type === 'K1' ? k.toLegacyString() : '', hex: Buffer.from(k.data.array).toString('hex')}; });
  if (w.error) out.wharfkit_error = w.error; else { out.wharfkit = w.value.s; out.wharfkit_legacy = w.value.legacy; out.wharfkit_hex = w.value.hex; }
  const e = attempt(() => { const k = jssig.PublicKey.fromString(s); return {s: k.toString(), legacy: k.getType() === 0 ? k.toLegacyString() : ''}; });
  if (e.error) out.eosjs_error = e.error; else { out.eosjs = e.value.s; out.eosjs_legacy = e.value.legacy; }
  return out;
}

function checkSignatureString(s) {
  const out = {};
  const w = attempt(() => String(Signature.from(s)));
  if (w.error) out.wharfkit_error = w.error; else out.wharfkit = w.value;
  const e = attempt(() => jssig.Signature.fromString(s).toString());
  if (e.error) out.eosjs_error = e.error; else out.eosjs = e.value;
  return out;
}

// Serialize actions' data with wharfkit from an ABI, to compare bytes.
function serialize(req) {
  const abi = ABI.from(req.abi);
  return req.items.map((it) => {
    const r = attempt(() => Buffer.from(Serializer.encode({object: it.value, type: it.type, abi}).array).toString('hex'));
    if (r.error) return {error: r.error};
    return {hex: r.value};
  });
}

function decode(req) {
  const abi = ABI.from(req.abi);
  return req.items.map((it) => {
    const r = attempt(() => Serializer.objectify(Serializer.decode({data: Bytes.from(it.hex, 'hex'), type: it.type, abi})));
    if (r.error) return {error: r.error};
    return {value: r.value};
  });
}

// Transactions wharfkit builds and signs itself, with keys it generates, so
// that the chain bpkeys talks to can be checked against an implementation
// bpkeys did not write. The private keys never leave this process: each
// request generates its key, signs, and reports only the public key.
function signTransactions(req) {
  return req.map((r) => {
    const res = attempt(() => {
      const key = PrivateKey.generate(r.curve);
      const abi = ABI.from(r.abi);
      const actions = r.actions.map((a) => Action.from({account: a.account, name: a.name, authorization: a.authorization, data: a.data}, abi));
      const trx = Transaction.from({
        expiration: r.expiration, ref_block_num: r.ref_block_num, ref_block_prefix: r.ref_block_prefix,
        max_net_usage_words: 0, max_cpu_usage_ms: 0, delay_sec: 0,
        context_free_actions: [], actions, transaction_extensions: [],
      });
      const digest = trx.signingDigest(r.chain_id);
      const sig = key.signDigest(digest);
      return {
        public_key: String(key.toPublic()),
        packed_trx: Buffer.from(Serializer.encode({object: trx}).array).toString('hex'),
        signature: String(sig),
        id: String(trx.id),
      };
    });
    return res.error ? {error: res.error} : res.value;
  });
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', () => {
  const req = JSON.parse(input);
  const res = {};
  if (req.vectors) res.vectors = req.vectors.map(checkVector);
  if (req.keys) res.keys = req.keys.map(checkKey);
  if (req.signatures) res.signatures = req.signatures.map(checkSignatureString);
  if (req.serialize) res.serialize = serialize(req.serialize);
  if (req.decode) res.decode = decode(req.decode);
  if (req.sign_transactions) res.sign_transactions = signTransactions(req.sign_transactions);
  process.stdout.write(JSON.stringify(res));
});
