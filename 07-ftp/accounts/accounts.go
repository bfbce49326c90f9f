// Package accounts stores the server's users and authenticates them with
// SCRAM-SHA-256 (RFC 5802 and RFC 7677).
//
// No password is stored and none crosses the network. For each user the
// store keeps a random salt, an iteration count, and the two keys SCRAM
// derives from the salted password (StoredKey and ServerKey); neither key
// lets anyone log in by sending it. A login for a name that does not exist
// runs the same exchange against a fake credential derived from a server
// secret, so it takes the same steps and fails with the same words as a
// wrong password.
package accounts

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"

	"github.com/xdg-go/scram"
)

// Iterations is the PBKDF2 iteration count for new passwords, the minimum
// that RFC 7677 recommends. The client pays it once per login.
const Iterations = 4096

// FileName is the accounts file inside the data directory.
const FileName = "accounts.json"

// Errors callers branch on.
var (
	ErrNoUser   = errors.New("no such user")
	ErrExists   = errors.New("user already exists")
	ErrBadName  = errors.New("invalid user name: use 1-32 of a-z, 0-9, _ and -, starting with a letter or _")
	ErrEmptyPwd = errors.New("empty password")
)

var validName = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)

// CheckName reports whether name may be a user name. Names are restricted so
// that a name is always one safe directory name.
func CheckName(name string) error {
	if !validName.MatchString(name) {
		return ErrBadName
	}
	return nil
}

// Account is one user as stored.
type Account struct {
	Name       string `json:"name"`
	Salt       []byte `json:"salt"`
	Iterations int    `json:"iterations"`
	StoredKey  []byte `json:"stored_key"`
	ServerKey  []byte `json:"server_key"`
	// Quota is the user's limit in bytes.
	Quota int64 `json:"quota"`
	// MaxFiles is the most files, directories and part files the user may
	// have; zero means the server's default.
	MaxFiles int64 `json:"max_files,omitempty"`
}

type file struct {
	// Secret derives the fake credentials of unknown users.
	Secret []byte     `json:"secret"`
	Users  []*Account `json:"users"`
}

// Store is the accounts file of a data directory. Each call reads the file
// afresh, so accounts added by "ftpd useradd" reach a running server at its
// next login; writes replace the file atomically.
type Store struct {
	path string
	mu   sync.Mutex
}

// Open returns the store of the data directory dir.
func Open(dir string) *Store { return &Store{path: filepath.Join(dir, FileName)} }

func (s *Store) load() (*file, error) {
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return &file{}, nil
	}
	if err != nil {
		return nil, err
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("accounts: %s: %w", s.path, err)
	}
	return &f, nil
}

func (s *Store) save(f *file) error {
	if len(f.Secret) == 0 {
		f.Secret = make([]byte, 32)
		rand.Read(f.Secret)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".accounts-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.path)
}

func (s *Store) update(fn func(f *file) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.load()
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		return err
	}
	return s.save(f)
}

func find(f *file, name string) int {
	return slices.IndexFunc(f.Users, func(a *Account) bool { return a.Name == name })
}

// credential derives the stored SCRAM values for a password with a new salt.
func credential(name, password string) (Account, error) {
	if password == "" {
		return Account{}, ErrEmptyPwd
	}
	c, err := scram.SHA256.NewClient(name, password, "")
	if err != nil {
		return Account{}, err
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	sc, err := c.GetStoredCredentialsWithError(scram.KeyFactors{Salt: string(salt), Iters: Iterations})
	if err != nil {
		return Account{}, err
	}
	return Account{Name: name, Salt: salt, Iterations: Iterations, StoredKey: sc.StoredKey, ServerKey: sc.ServerKey}, nil
}

// Add creates a user with a password and a quota in bytes.
func (s *Store) Add(name, password string, quota int64) error {
	return s.AddWithLimits(name, password, quota, 0)
}

// AddWithLimits creates a user with a password, a quota in bytes and the
// most files, directories and part files they may have (zero: the
// server's default).
func (s *Store) AddWithLimits(name, password string, quota, maxFiles int64) error {
	if err := CheckName(name); err != nil {
		return err
	}
	a, err := credential(name, password)
	if err != nil {
		return err
	}
	a.Quota, a.MaxFiles = quota, maxFiles
	return s.update(func(f *file) error {
		if find(f, name) >= 0 {
			return fmt.Errorf("%w: %s", ErrExists, name)
		}
		f.Users = append(f.Users, &a)
		return nil
	})
}

// SetPassword replaces a user's password.
func (s *Store) SetPassword(name, password string) error {
	a, err := credential(name, password)
	if err != nil {
		return err
	}
	return s.update(func(f *file) error {
		i := find(f, name)
		if i < 0 {
			return fmt.Errorf("%w: %s", ErrNoUser, name)
		}
		a.Quota, a.MaxFiles = f.Users[i].Quota, f.Users[i].MaxFiles
		f.Users[i] = &a
		return nil
	})
}

// SetMaxFiles changes the most files, directories and part files a user
// may have (zero: the server's default).
func (s *Store) SetMaxFiles(name string, n int64) error {
	return s.change(name, func(a *Account) { a.MaxFiles = n })
}

// SetQuota changes a user's quota.
func (s *Store) SetQuota(name string, quota int64) error {
	return s.change(name, func(a *Account) { a.Quota = quota })
}

// change applies fn to the account called name.
func (s *Store) change(name string, fn func(*Account)) error {
	return s.update(func(f *file) error {
		i := find(f, name)
		if i < 0 {
			return fmt.Errorf("%w: %s", ErrNoUser, name)
		}
		fn(f.Users[i])
		return nil
	})
}

// Delete removes a user's account (not their files).
func (s *Store) Delete(name string) error {
	return s.update(func(f *file) error {
		i := find(f, name)
		if i < 0 {
			return fmt.Errorf("%w: %s", ErrNoUser, name)
		}
		f.Users = slices.Delete(f.Users, i, i+1)
		return nil
	})
}

// List returns all accounts sorted by name.
func (s *Store) List() ([]Account, error) {
	f, err := s.load()
	if err != nil {
		return nil, err
	}
	out := make([]Account, 0, len(f.Users))
	for _, a := range f.Users {
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b Account) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out, nil
}

// Lookup returns the account called name, or an error wrapping ErrNoUser.
func (s *Store) Lookup(name string) (Account, error) {
	f, err := s.load()
	if err != nil {
		return Account{}, err
	}
	i := find(f, name)
	if i < 0 {
		return Account{}, fmt.Errorf("%w: %s", ErrNoUser, name)
	}
	return *f.Users[i], nil
}

// EnsureSecret creates the accounts file (with its secret) if it does not
// exist yet.
func (s *Store) EnsureSecret() error {
	return s.update(func(*file) error { return nil })
}

// Credentials returns the SCRAM credentials of name. For a name that does
// not exist it returns a fake credential derived from the store's secret:
// stable for that name, so repeated probes see the same salt, and useless,
// since no password matches its keys.
func (s *Store) Credentials(name string) (scram.StoredCredentials, error) {
	f, err := s.load()
	if err != nil {
		return scram.StoredCredentials{}, err
	}
	if i := find(f, name); i >= 0 {
		a := f.Users[i]
		return scram.StoredCredentials{
			KeyFactors: scram.KeyFactors{Salt: string(a.Salt), Iters: a.Iterations},
			StoredKey:  a.StoredKey,
			ServerKey:  a.ServerKey,
		}, nil
	}
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, f.Secret)
		m.Write([]byte(label))
		m.Write([]byte{0})
		m.Write([]byte(name))
		return m.Sum(nil)
	}
	return scram.StoredCredentials{
		KeyFactors: scram.KeyFactors{Salt: string(derive("salt")[:16]), Iters: Iterations},
		StoredKey:  derive("stored"),
		ServerKey:  derive("server"),
	}, nil
}

// CheckPassword reports whether password is name's, for a front end whose
// clients send the password itself (standard FTP's USER and PASS, under
// TLS). It derives the SCRAM keys from the password with the account's salt
// and iterations and compares them with the stored ones, so no password is
// stored for this either. A name that does not exist is checked against its
// fake credential, at the same cost, and fails.
func (s *Store) CheckPassword(name, password string) (bool, error) {
	cred, err := s.Credentials(name)
	if err != nil {
		return false, err
	}
	c, err := scram.SHA256.NewClient(name, password, "")
	if err != nil {
		return false, nil // not a valid SCRAM user name or password
	}
	got, err := c.GetStoredCredentialsWithError(cred.KeyFactors)
	if err != nil {
		return false, err
	}
	return hmac.Equal(got.StoredKey, cred.StoredKey), nil
}

// NewServer returns a SCRAM-SHA-256 server that looks users up in s.
func (s *Store) NewServer() (*scram.Server, error) {
	return scram.SHA256.NewServer(s.Credentials)
}
