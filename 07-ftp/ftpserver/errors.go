package ftpserver

import "github.com/gosockets/tutorial/07-ftp/store"

// describe turns an error of the store into an FTP reply code and the
// words the chapter's protocol uses for it ([store.Describe]).
//
// 550 is FTP's "not taken: file unavailable" (not found, no access, out of
// the home); 552 its "exceeded storage allocation"; 553 "file name not
// allowed"; 450 a busy file; 452 a full disk; 554 a bad REST offset.
func describe(err error) (int, string) {
	kind, words := store.Describe(err)
	return replyCode[kind], words
}

// replyCode is the FTP reply of each kind of store error.
var replyCode = map[store.Kind]int{
	store.KindOther:      451,
	store.KindOutside:    550,
	store.KindBadName:    553,
	store.KindQuota:      552,
	store.KindBusy:       450,
	store.KindOffset:     554,
	store.KindChecksum:   451,
	store.KindSize:       451,
	store.KindIsDir:      550,
	store.KindNotDir:     550,
	store.KindNotRegular: 550,
	store.KindNotFound:   550,
	store.KindNotEmpty:   550,
	store.KindExists:     550,
	store.KindNoSpace:    452,
}
