package server

import (
	"github.com/gosockets/tutorial/07-ftp/proto"
	"github.com/gosockets/tutorial/07-ftp/store"
)

// describe classifies the error of a failed op as a code and words for
// the client ([store.Describe]). The words never contain a path on the
// server.
func describe(op string, err error) (code, text string) {
	kind, words := store.Describe(err)
	if kind == store.KindNoSpace && op == "put" {
		words += "; what arrived is kept, run the same put again to resume when there is room"
	}
	return protoCode[kind], words
}

// protoCode is the course protocol's code for each kind of store error.
var protoCode = map[store.Kind]string{
	store.KindOther:      proto.CodeInternal,
	store.KindOutside:    proto.CodePath,
	store.KindBadName:    proto.CodePath,
	store.KindQuota:      proto.CodeQuota,
	store.KindBusy:       proto.CodeBusy,
	store.KindOffset:     proto.CodeInternal,
	store.KindChecksum:   proto.CodeChecksum,
	store.KindSize:       proto.CodeChecksum,
	store.KindIsDir:      proto.CodeIsDir,
	store.KindNotDir:     proto.CodeNotDir,
	store.KindNotRegular: proto.CodeNotReg,
	store.KindNotFound:   proto.CodeNotFound,
	store.KindNotEmpty:   proto.CodeNotEmpty,
	store.KindExists:     proto.CodeExists,
	store.KindNoSpace:    proto.CodeInternal,
}
