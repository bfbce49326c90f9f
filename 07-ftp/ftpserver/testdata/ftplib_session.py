"""One FTP session with Python's ftplib, as a user would script it.

usage: ftplib_session.py HOST PORT USER PASSWORD CAFILE|- WORKDIR

With a CA file the session runs over explicit TLS (FTP_TLS, AUTH TLS,
then PROT P); with "-" in clear. WORKDIR holds data.bin, the file to
upload. The script asserts every answer it gets and prints one line per
step; it exits non-zero at the first surprise. It leaves /py/kept.bin on
the server (the whole of data.bin, uploaded in two parts with REST + STOR)
for the Go test to compare.
"""
import ftplib
import io
import os
import ssl
import sys

host, port, user, password, cafile, workdir = sys.argv[1:7]
data = open(os.path.join(workdir, "data.bin"), "rb").read()
half = len(data) // 2

if cafile != "-":
    ctx = ssl.create_default_context(cafile=cafile)
    ftp = ftplib.FTP_TLS(context=ctx, timeout=20)
else:
    ftp = ftplib.FTP(timeout=20)
ftp.connect(host, int(port))
if cafile != "-":
    ftp.auth()
ftp.login(user, password)
if cafile != "-":
    ftp.prot_p()
print("login", ftp.pwd())

ftp.mkd("py")
ftp.cwd("py")
print("mkdir", ftp.pwd())

resp = ftp.storbinary("STOR a.bin", io.BytesIO(data))
assert resp.startswith("226"), resp
print("upload", resp)

assert ftp.size("a.bin") == len(data), ftp.size("a.bin")
mdtm = ftp.voidcmd("MDTM a.bin")
assert mdtm.startswith("213 ") and len(mdtm) == 18, mdtm
print("size+mdtm", len(data), mdtm[4:])

got = io.BytesIO()
ftp.retrbinary("RETR a.bin", got.write)
assert got.getvalue() == data, "download differs"
print("download", len(got.getvalue()))

# A download interrupted after half the file, resumed with REST.
got = io.BytesIO(data[:half])
got.seek(half)
ftp.retrbinary("RETR a.bin", got.write, rest=half)
assert got.getvalue() == data, "resumed download differs"
print("resumed download from", half)

# An upload interrupted after half the file, resumed with REST + STOR.
ftp.storbinary("STOR kept.bin", io.BytesIO(data[:half]))
assert ftp.size("kept.bin") == half
ftp.storbinary("STOR kept.bin", io.BytesIO(data[half:]), rest=half)
assert ftp.size("kept.bin") == len(data), ftp.size("kept.bin")
print("resumed upload from", half)

lines = []
ftp.retrlines("LIST", lines.append)
assert len(lines) == 2 and all(l.startswith("-rw") for l in lines), lines
names = sorted(ftp.nlst())
assert names == ["a.bin", "kept.bin"], names
facts = {name: f for name, f in ftp.mlsd()}
assert facts["a.bin"]["type"] == "file" and int(facts["a.bin"]["size"]) == len(data), facts
print("list", len(lines), "nlst", names, "mlsd", sorted(facts))

ftp.rename("a.bin", "b.bin")
assert sorted(ftp.nlst()) == ["b.bin", "kept.bin"]
ftp.delete("b.bin")
ftp.mkd("empty")
ftp.rmd("empty")
assert sorted(ftp.nlst()) == ["kept.bin"], ftp.nlst()
print("rename+delete+rmdir ok")

for bad, cmd in (("../..", "CWD ../.."), ("/../x", "SIZE /../x")):
    try:
        ftp.voidcmd(cmd)
        raise AssertionError(cmd + " succeeded")
    except ftplib.error_perm as e:
        assert str(e).startswith("550") and "outside your home" in str(e), e
print("jail ok")
ftp.quit()
print("done")
