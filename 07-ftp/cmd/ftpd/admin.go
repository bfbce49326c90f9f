package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/gosockets/tutorial/07-ftp/accounts"
	"github.com/gosockets/tutorial/07-ftp/quota"
	"github.com/gosockets/tutorial/07-ftp/store"
	"github.com/gosockets/tutorial/07-ftp/tlsconf"
)

// The admin commands work on the accounts file and the users' directories
// directly, beside a running server if there is one: a server reads the
// accounts at each login.

// gencert writes a self-signed certificate and its key for a classroom
// server.
func gencert(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("ftpd gencert", flag.ContinueOnError)
	fl.SetOutput(stderr)
	hosts := fl.String("host", strings.Join(tlsconf.DefaultHosts, ","), "comma-separated names and IP addresses the certificate is valid for")
	cert := fl.String("cert", "ftpd-cert.pem", "certificate file to write")
	key := fl.String("key", "ftpd-key.pem", "private key file to write (mode 0600)")
	if err := fl.Parse(args); err != nil {
		return usage(err)
	}
	if fl.NArg() > 0 {
		return usage(errors.New("usage: ftpd gencert [-host H1,H2] [-cert FILE] [-key FILE]"))
	}
	if err := tlsconf.WriteFiles(*cert, *key, strings.Split(*hosts, ",")); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s (valid for %s)\n", *cert, *key, *hosts)
	fmt.Fprintf(stdout, "serve with:   ftpd -tls-cert %s -tls-key %s\n", *cert, *key)
	fmt.Fprintf(stdout, "connect with: ftp -tls-ca %s -user NAME\n", *cert)
	return nil
}

func adminFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fl := flag.NewFlagSet("ftpd "+name, flag.ContinueOnError)
	fl.SetOutput(stderr)
	data := fl.String("data", defaultData, "data directory")
	return fl, data
}

func oneName(fl *flag.FlagSet) (string, error) {
	if fl.NArg() != 1 {
		return "", usage(fmt.Errorf("want exactly one user name, got %d arguments", fl.NArg()))
	}
	return fl.Arg(0), accounts.CheckName(fl.Arg(0))
}

func useradd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fl, data := adminFlags("useradd", stderr)
	q := fl.String("quota", "50MiB", "disk quota (B, KiB, MiB, GiB)")
	files := fl.Int64("files", 0, fmt.Sprintf("most files, directories and part files (0: the default, %d)", store.DefaultFiles))
	if err := fl.Parse(args); err != nil {
		return usage(err)
	}
	name, err := oneName(fl)
	if err != nil {
		return err
	}
	limit, err := quota.ParseSize(*q)
	if err != nil {
		return err
	}
	pw, err := readPassword(stdin, stderr, "Password for "+name+": ")
	if err != nil {
		return err
	}
	if *files < 0 {
		return fmt.Errorf("bad -files %d", *files)
	}
	if err := accounts.Open(*data).AddWithLimits(name, pw, limit, *files); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added user %s with a quota of %s and %d files\n", name, quota.FormatSize(limit), store.Limits{Files: *files}.FilesLimit())
	return nil
}

func passwd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fl, data := adminFlags("passwd", stderr)
	if err := fl.Parse(args); err != nil {
		return usage(err)
	}
	name, err := oneName(fl)
	if err != nil {
		return err
	}
	acc := accounts.Open(*data)
	if _, err := acc.Lookup(name); err != nil {
		return err
	}
	pw, err := readPassword(stdin, stderr, "New password for "+name+": ")
	if err != nil {
		return err
	}
	if err := acc.SetPassword(name, pw); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "password of %s changed\n", name)
	return nil
}

func userdel(args []string, stdout, stderr io.Writer) error {
	fl, data := adminFlags("userdel", stderr)
	if err := fl.Parse(args); err != nil {
		return usage(err)
	}
	name, err := oneName(fl)
	if err != nil {
		return err
	}
	if err := accounts.Open(*data).Delete(name); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "removed user %s; their files stay in %s\n", name, store.UserDir(*data, name))
	return nil
}

func users(args []string, stdout, stderr io.Writer) error {
	fl, data := adminFlags("users", stderr)
	if err := fl.Parse(args); err != nil {
		return usage(err)
	}
	list, err := accounts.Open(*data).List()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "NAME\tQUOTA\tUSED\tFILES\tMAX-FILES\t")
	var failed error
	for _, a := range list {
		used, files := "?", "?"
		if b, n, err := store.MeasureUsage(*data, a.Name); err != nil {
			// One user's directory must not hide the others.
			failed = fmt.Errorf("cannot measure the usage of %s: %w", a.Name, err)
			fmt.Fprintln(stderr, "ftpd:", failed)
		} else {
			used, files = fmt.Sprint(b), fmt.Sprint(n)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t\n", a.Name, a.Quota, used, files, store.Limits{Files: a.MaxFiles}.FilesLimit())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if failed != nil {
		return errReported
	}
	return nil
}

// readPassword reads a password without echo from a terminal (asking
// twice), or the first line of stdin otherwise.
func readPassword(stdin io.Reader, stderr io.Writer, prompt string) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, prompt)
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("no password on stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", accounts.ErrEmptyPwd
	}
	return pw, nil
}
