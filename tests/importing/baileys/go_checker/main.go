// Command go_checker decrypts the fixtures' post-snapshot messages with go.mau.fi/libsignal itself,
// loading the CONVERTED records exactly as whatsmeow's store/signal.go does
// (record.NewSessionFromBytes / groupRecord.NewSenderKeyFromBytes with serialize.NewProtoBufSerializer())
// and decrypting as whatsmeow's message.go does (session.NewCipher → Decrypt / DecryptMessage,
// groups.NewGroupCipher → Decrypt). Run by hand, see README.md; its input is made by export.py.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"go.mau.fi/libsignal/ecc"
	"go.mau.fi/libsignal/groups"
	groupRecord "go.mau.fi/libsignal/groups/state/record"
	"go.mau.fi/libsignal/keys/identity"
	"go.mau.fi/libsignal/protocol"
	"go.mau.fi/libsignal/serialize"
	"go.mau.fi/libsignal/session"
	"go.mau.fi/libsignal/state/record"
	"golang.org/x/crypto/curve25519"
)

var pb = serialize.NewProtoBufSerializer()

type input struct {
	IdentityPrivate string            `json:"identity_private"`
	RegistrationID  uint32            `json:"registration_id"`
	Sessions        map[string]string `json:"sessions"`
	Identities      map[string]string `json:"identities"`
	SenderKeys      map[string]string `json:"sender_keys"` // "group|user:device"
	Messages        []struct {
		Address    string `json:"address"`
		Group      string `json:"group"`
		Type       string `json:"type"`
		Ciphertext string `json:"ciphertext"`
		Plaintext  string `json:"plaintext"`
	} `json:"messages"`
}

type store struct {
	identity   *identity.KeyPair
	regID      uint32
	sessions   map[string][]byte
	identities map[string][]byte
	senderKeys map[string][]byte
}

func b64(s string) []byte { b, _ := base64.StdEncoding.DecodeString(s); return b }

func (s *store) GetIdentityKeyPair() *identity.KeyPair { return s.identity }
func (s *store) GetLocalRegistrationID() uint32        { return s.regID }
func (s *store) SaveIdentity(_ context.Context, a *protocol.SignalAddress, k *identity.Key) error {
	pub := k.PublicKey().PublicKey()
	s.identities[a.String()] = pub[:]
	return nil
}
func (s *store) IsTrustedIdentity(_ context.Context, a *protocol.SignalAddress, k *identity.Key) (bool, error) {
	known, ok := s.identities[a.String()] // whatsmeow: unknown is trusted, a different key is not
	pub := k.PublicKey().PublicKey()
	return !ok || string(known) == string(pub[:]), nil
}
func (s *store) LoadPreKey(context.Context, uint32) (*record.PreKey, error) { return nil, nil }
func (s *store) StorePreKey(context.Context, uint32, *record.PreKey) error  { return nil }
func (s *store) ContainsPreKey(context.Context, uint32) (bool, error)       { return false, nil }
func (s *store) RemovePreKey(context.Context, uint32) error                 { return nil }
func (s *store) LoadSignedPreKey(context.Context, uint32) (*record.SignedPreKey, error) {
	return nil, nil
}
func (s *store) LoadSignedPreKeys(context.Context) ([]*record.SignedPreKey, error)     { return nil, nil }
func (s *store) StoreSignedPreKey(context.Context, uint32, *record.SignedPreKey) error { return nil }
func (s *store) ContainsSignedPreKey(context.Context, uint32) (bool, error)            { return false, nil }
func (s *store) RemoveSignedPreKey(context.Context, uint32) error                      { return nil }
func (s *store) LoadSession(_ context.Context, a *protocol.SignalAddress) (*record.Session, error) {
	raw, ok := s.sessions[a.String()]
	if !ok {
		return record.NewSession(pb.Session, pb.State), nil
	}
	return record.NewSessionFromBytes(raw, pb.Session, pb.State) // as whatsmeow's Device.LoadSession
}
func (s *store) GetSubDeviceSessions(context.Context, string) ([]uint32, error) { return nil, nil }
func (s *store) StoreSession(_ context.Context, a *protocol.SignalAddress, r *record.Session) error {
	s.sessions[a.String()] = r.Serialize()
	return nil
}
func (s *store) ContainsSession(_ context.Context, a *protocol.SignalAddress) (bool, error) {
	_, ok := s.sessions[a.String()]
	return ok, nil
}
func (s *store) DeleteSession(_ context.Context, a *protocol.SignalAddress) error {
	delete(s.sessions, a.String())
	return nil
}
func (s *store) DeleteAllSessions(context.Context) error { return nil }
func (s *store) StoreSenderKey(_ context.Context, n *protocol.SenderKeyName, r *groupRecord.SenderKey) error {
	s.senderKeys[n.GroupID()+"|"+n.Sender().String()] = r.Serialize()
	return nil
}
func (s *store) LoadSenderKey(_ context.Context, n *protocol.SenderKeyName) (*groupRecord.SenderKey, error) {
	raw, ok := s.senderKeys[n.GroupID()+"|"+n.Sender().String()]
	if !ok {
		return groupRecord.NewSenderKey(pb.SenderKeyRecord, pb.SenderKeyState), nil
	}
	return groupRecord.NewSenderKeyFromBytes(raw, pb.SenderKeyRecord, pb.SenderKeyState) // as whatsmeow
}

func address(s string) *protocol.SignalAddress {
	user, device, _ := strings.Cut(s, ":")
	d, _ := strconv.Atoi(device)
	return protocol.NewSignalAddress(user, uint32(d))
}

func main() {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var in input
	if err = json.Unmarshal(raw, &in); err != nil {
		panic(err)
	}
	var priv [32]byte
	copy(priv[:], b64(in.IdentityPrivate))
	pubSlice, _ := curve25519.X25519(priv[:], curve25519.Basepoint) // whatsmeow's keys.NewKeyPairFromPrivateKey
	var pub [32]byte
	copy(pub[:], pubSlice)
	st := &store{
		identity:   identity.NewKeyPair(identity.NewKey(ecc.NewDjbECPublicKey(pub)), ecc.NewDjbECPrivateKey(priv)),
		regID:      in.RegistrationID,
		sessions:   map[string][]byte{},
		identities: map[string][]byte{},
		senderKeys: map[string][]byte{},
	}
	for k, v := range in.Sessions {
		st.sessions[k] = b64(v)
	}
	for k, v := range in.Identities {
		st.identities[k] = b64(v)
	}
	for k, v := range in.SenderKeys {
		st.senderKeys[k] = b64(v)
	}
	ctx := context.Background()
	failed := 0
	for _, m := range in.Messages {
		ct := b64(m.Ciphertext)
		addr := address(m.Address)
		var pt []byte
		switch m.Type {
		case "msg":
			msg, perr := protocol.NewSignalMessageFromBytes(ct, pb.SignalMessage)
			if perr == nil {
				pt, err = session.NewCipher(session.NewBuilderFromSignal(st, addr, pb), addr).Decrypt(ctx, msg)
			} else {
				err = perr
			}
		case "pkmsg":
			msg, perr := protocol.NewPreKeySignalMessageFromBytes(ct, pb.PreKeySignalMessage, pb.SignalMessage)
			if perr == nil {
				pt, err = session.NewCipher(session.NewBuilderFromSignal(st, addr, pb), addr).DecryptMessage(ctx, msg)
			} else {
				err = perr
			}
		case "skmsg":
			msg, perr := protocol.NewSenderKeyMessageFromBytes(ct, pb.SenderKeyMessage)
			if perr == nil {
				name := protocol.NewSenderKeyName(m.Group, addr)
				pt, err = groups.NewGroupCipher(groups.NewGroupSessionBuilder(st, pb), name, st).Decrypt(ctx, msg)
			} else {
				err = perr
			}
		}
		if err != nil || string(pt) != m.Plaintext {
			failed++
			fmt.Printf("FAIL %s %s: %v (got %q)\n", m.Type, m.Address, err, pt)
		} else {
			fmt.Printf("ok   %s %s: %q\n", m.Type, m.Address, pt)
		}
	}
	fmt.Printf("%d decrypted, %d failed\n", len(in.Messages)-failed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}
