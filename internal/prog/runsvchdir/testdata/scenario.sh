# Run inside a private mount namespace: /etc is a fresh tmpfs, so the real
# /etc/runit is never touched. $1 is the runsvchdir to run; $STRACE, if
# set, is strace(1), used to inject system-call failures.
B=$1
mount -t tmpfs tmpfs /etc || exit 99
D=/etc/runit/runsvdir
mkdir -p $D/default $D/other $D/single /etc/out
touch $D/afile
ln -s default $D/current
r() { "$@" >/etc/out/o 2>/etc/out/e; c=$?; echo "\$ $*"; sed 's/^/1: /' /etc/out/o; sed 's/^/2: /' /etc/out/e; echo "[exit $c]"; }
st() { (cd $D; for f in *; do if [ -L $f ]; then echo "  $f -> $(readlink $f)"; else echo "  $f"; fi; done); }
reset() { rm -f $D/current.new $D/previous; ln -sfn default $D/current; }
r $B
r $B /nonexistent/x
r $B .
r $B ''
r $B ..x
r $B afile
r $B default
r $B other x y; st
r $B single; st
r $B /etc/runit/runsvdir/other; st
rm $D/current; r $B single
ln -s nowhere $D/current; r $B single
reset
if [ -n "$STRACE" ]; then
  for inj in unlink,unlinkat:error=EIO:when=1 unlink,unlinkat:error=EIO:when=2 \
      symlink,symlinkat:error=EIO rename,renameat,renameat2:error=EPERM:when=1 \
      rename,renameat,renameat2:error=EIO:when=2 rename,renameat,renameat2:error=EIO:when=2+ \
      chdir:error=EACCES; do
    r $STRACE -o /dev/null -e inject=$inj $B single; st; reset
  done
  r $STRACE -o /dev/null -P single -e inject=newfstatat:error=EIO $B single
  r $STRACE -o /dev/null -P single -e inject=newfstatat:error=EACCES $B single
  r $STRACE -o /dev/null -P current -e inject=newfstatat:error=EIO $B single
fi
rm -rf /etc/runit
r $B single
