// Makes tests/importing/baileys/fixtures/ with the real Baileys 7 and libsignal-node (run by hand:
// `npm install && node make_fixtures.mjs`; the tests only read the committed output).
//
// We cannot reach WhatsApp, so the "phone" is played here: it signs the pairing the way the
// server's pair-success stanza carries it, and Baileys' own configureSuccessfulPairing() checks the
// signatures and writes `me`/`account`/`signalIdentities` exactly as after a real QR scan. Two
// contacts (one by phone number, one by LID) are libsignal-node parties that start sessions from
// our device's pre-key bundle; a third party's group sender key is distributed to us. Then the
// auth state folder (written by Baileys' useMultiFileAuthState) is snapshotted, and the contacts
// encrypt messages AFTER the snapshot: their ciphertexts and plaintexts go to messages.json.
import { mkdirSync, rmSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createHmac, randomBytes } from 'node:crypto'
import * as libsignal from 'libsignal'
import pino from 'pino'
import {
  useMultiFileAuthState, addTransactionCapability, getNextPreKeys,
  configureSuccessfulPairing, proto, Curve, generateSignalPubKey, BufferJSON
} from 'baileys'
import { makeLibSignalRepository } from 'baileys/lib/Signal/libsignal.js'
import { GroupSessionBuilder, GroupCipher } from 'baileys/lib/Signal/Group/index.js'
import { SenderKeyName } from 'baileys/lib/Signal/Group/sender-key-name.js'
import { SenderKeyRecord } from 'baileys/lib/Signal/Group/sender-key-record.js'

const OUT = new URL('../fixtures/', import.meta.url).pathname
const WORK = new URL('./auth_state/', import.meta.url).pathname
const ME_PN = '5511900000001'
const ME_LID = '123456789012345'
const ME_DEVICE = 7
const BOB = '5511988887777@s.whatsapp.net'          // addressed by phone number: session-5511988887777.0
const CAROL_LID = '987654321098765@lid'             // addressed by LID: session-987654321098765_1.0
const CAROL_PN = '5511977776666@s.whatsapp.net'
const DAVE = '5511966665555@s.whatsapp.net'         // sends to the group with a sender key
const GROUP = '120363000000000001@g.us'

const logger = pino({ level: 'silent' })
rmSync(WORK, { recursive: true, force: true })
rmSync(OUT, { recursive: true, force: true })
mkdirSync(OUT, { recursive: true })

const { state, saveCreds } = await useMultiFileAuthState(WORK)
const creds = state.creds

// --- pairing, as the phone would sign it --------------------------------------------------------
const phoneIdentity = Curve.generateKeyPair()
const deviceDetails = proto.ADVDeviceIdentity.encode({ rawId: 424242, timestamp: 1764806400, keyIndex: 3 }).finish()
const accountSignature = Curve.sign(phoneIdentity.private,
  Buffer.concat([Buffer.from([6, 0]), deviceDetails, creds.signedIdentityKey.public]))
const signedIdentity = proto.ADVSignedDeviceIdentity.encode({
  details: deviceDetails, accountSignatureKey: phoneIdentity.public, accountSignature
}).finish()
const hmac = createHmac('sha256', Buffer.from(creds.advSecretKey, 'base64')).update(signedIdentity).digest()
const stanza = {
  tag: 'iq', attrs: { id: 'pair-1' },
  content: [{
    tag: 'pair-success', attrs: {},
    content: [
      { tag: 'device-identity', attrs: {}, content: proto.ADVSignedDeviceIdentityHMAC.encode({ details: signedIdentity, hmac }).finish() },
      { tag: 'platform', attrs: { name: 'smba' } },
      { tag: 'device', attrs: { jid: `${ME_PN}:${ME_DEVICE}@s.whatsapp.net`, lid: `${ME_LID}:${ME_DEVICE}@lid` } },
      { tag: 'biz', attrs: { name: 'Fixture Store' } }
    ]
  }]
}
const { creds: paired } = configureSuccessfulPairing(stanza, creds)
Object.assign(creds, paired, { registered: true })

// --- pre-keys, "uploaded" as after the first connection ------------------------------------------
const { update, preKeys } = await getNextPreKeys(state, 30)
Object.assign(creds, update)
await saveCreds()

const keys = addTransactionCapability(state.keys, logger, { maxCommitRetries: 1, delayBetweenTriesMs: 1 })
const repo = makeLibSignalRepository({ creds, keys }, logger)
await repo.lidMapping.storeLIDPNMappings([{ lid: CAROL_LID, pn: CAROL_PN }])

// --- a libsignal-node party with in-memory storage ------------------------------------------------
function party(registrationId) {
  const identity = libsignal.keyhelper.generateIdentityKeyPair()
  const sessions = {}
  const storage = {
    getOurIdentity: async () => identity,
    getOurRegistrationId: async () => registrationId,
    isTrustedIdentity: async () => true,
    loadSession: async id => sessions[id] ? libsignal.SessionRecord.deserialize(sessions[id]) : undefined,
    storeSession: async (id, record) => { sessions[id] = record.serialize() },
    loadPreKey: async () => undefined,
    loadSignedPreKey: async () => undefined,
    removePreKey: async () => {}
  }
  return { identity, storage }
}
const ourAddress = new libsignal.ProtocolAddress(`${ME_PN}`, ME_DEVICE)
const preKeyIds = Object.keys(preKeys).map(Number)
async function startSession(p, preKeyId) {
  const builder = new libsignal.SessionBuilder(p.storage, ourAddress)
  await builder.initOutgoing({
    registrationId: creds.registrationId,
    identityKey: generateSignalPubKey(creds.signedIdentityKey.public),
    signedPreKey: {
      keyId: creds.signedPreKey.keyId,
      publicKey: generateSignalPubKey(creds.signedPreKey.keyPair.public),
      signature: creds.signedPreKey.signature
    },
    preKey: { keyId: preKeyId, publicKey: generateSignalPubKey(preKeys[preKeyId].public) }
  })
  return new libsignal.SessionCipher(p.storage, ourAddress)
}
const text = s => Buffer.from(s, 'utf-8')
const kind = t => (t === 3 ? 'pkmsg' : 'msg')
async function receive(jid, enc) {
  return (await repo.decryptMessage({ jid, type: kind(enc.type), ciphertext: Buffer.from(enc.body, 'binary') })).toString()
}
async function replyTo(jid, cipher, s) {
  const out = await repo.encryptMessage({ jid, data: text(s) })
  const got = out.type === 'pkmsg' ? await cipher.decryptPreKeyWhisperMessage(out.ciphertext) : await cipher.decryptWhisperMessage(out.ciphertext)
  if (got.toString() !== s) throw new Error('reply did not round-trip')
}

// Bob: a session by phone number, both ratchets turned, one message skipped (its key stays stored).
const bob = party(4242)
const bobCipher = await startSession(bob, preKeyIds[0])
console.log('bob 1:', await receive(BOB, await bobCipher.encrypt(text('hello from bob (pkmsg)'))))
await replyTo(BOB, bobCipher, 'hi bob, device here')
const skipped = await bobCipher.encrypt(text('bob: this one arrives late'))
console.log('bob 3:', await receive(BOB, await bobCipher.encrypt(text('bob: second after reply'))))
// our second reply leaves before the snapshot but reaches Bob after it: his answer then turns the
// DH ratchet, which the converted record must do from its root key and ratchet private key
const undelivered = await repo.encryptMessage({ jid: BOB, data: text('device: second reply') })

// Carol: a session by LID, still unacknowledged on her side (she never got a reply).
const carol = party(5151)
const carolCipher = await startSession(carol, preKeyIds[1])
console.log('carol 1:', await receive(CAROL_LID, await carolCipher.encrypt(text('hello from carol via lid'))))

// Dave: a group sender key distributed to us, one group message read.
const daveStore = {}
const daveStorage = {
  loadSenderKey: async n => daveStore[n.toString()] ? SenderKeyRecord.deserialize(daveStore[n.toString()]) : new SenderKeyRecord(),
  storeSenderKey: async (n, r) => { daveStore[n.toString()] = Buffer.from(JSON.stringify(r.serialize())) }
}
const daveName = new SenderKeyName(GROUP, new libsignal.ProtocolAddress(DAVE.split('@')[0], 0))
const skdm = await new GroupSessionBuilder(daveStorage).create(daveName)
await repo.processSenderKeyDistributionMessage({ item: { groupId: GROUP, axolotlSenderKeyDistributionMessage: skdm.serialize() }, authorJid: DAVE })
const daveCipher = new GroupCipher(daveStorage, daveName)
console.log('dave 1:', (await repo.decryptGroupMessage({ group: GROUP, authorJid: DAVE, msg: await daveCipher.encrypt(text('dave to the group')) })).toString())

// App state: a sync key and a collection version, written through Baileys' own key store (their
// content is synthetic: it would come from the phone).
const appKeyId = Buffer.from([0, 0, 0, 0, 0x1b, 0x2f])
await keys.set({
  'app-state-sync-key': {
    [appKeyId.toString('base64')]: proto.Message.AppStateSyncKeyData.fromObject({
      keyData: randomBytes(32), fingerprint: { rawId: 77, currentIndex: 2, deviceIndexes: [0, 7] }, timestamp: 1764806400123
    })
  },
  'app-state-sync-version': {
    regular_high: { version: 12, hash: randomBytes(128), indexValueMap: { [randomBytes(32).toString('base64')]: { valueMac: randomBytes(32) } } }
  }
})
await saveCreds()

// --- the snapshot ---------------------------------------------------------------------------------
for (const name of readdirSync(WORK)) writeFileSync(OUT + name, readFileSync(WORK + name))

// --- after the snapshot: what the contacts send next --------------------------------------------
const messages = []
async function after(from, address, enc, plaintext) {
  messages.push({ from, address, type: kind(enc.type), ciphertext: Buffer.from(enc.body, 'binary').toString('base64'), plaintext })
}
await after(BOB, '5511988887777:0', skipped, 'bob: this one arrives late')
const bobNext = 'bob: written after the snapshot'
await after(BOB, '5511988887777:0', await bobCipher.encrypt(text(bobNext)), bobNext)
if ((await bobCipher.decryptWhisperMessage(undelivered.ciphertext)).toString() !== 'device: second reply') throw new Error('reply lost')
const bobRatchet = 'bob: answering the reply, on a new ratchet key'
await after(BOB, '5511988887777:0', await bobCipher.encrypt(text(bobRatchet)), bobRatchet)
const carolNext = 'carol: after the snapshot'
await after(CAROL_LID, '987654321098765_1:0', await carolCipher.encrypt(text(carolNext)), carolNext)
const daveNext = 'dave: group message after the snapshot'
messages.push({ from: DAVE, address: '5511966665555:0', group: GROUP, type: 'skmsg',
  ciphertext: Buffer.from(await daveCipher.encrypt(text(daveNext))).toString('base64'), plaintext: daveNext })
writeFileSync(OUT + 'messages.json', JSON.stringify({
  note: 'encrypted by the contacts after the auth state snapshot in this folder was taken',
  our_identity_public: Buffer.from(creds.signedIdentityKey.public).toString('base64'),
  messages
}, null, 2))
rmSync(WORK, { recursive: true, force: true })
console.log('fixtures written to', OUT, readdirSync(OUT))
