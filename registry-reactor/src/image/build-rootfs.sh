#!/usr/bin/env bash
# Builds the root filesystem that Jib adds under the application (profile `image`, run by
# exec-maven-plugin at package, after the shaded jar and before jib:buildTar): a jlink'd JRE with
# only the modules the registry needs, the shared libraries it links against (copied from this
# machine, at the same paths), and a minimal /etc. The image has no base: everything in it comes from here or from Jib's app layers.
#
# Usage: build-rootfs.sh OUT_DIR JAVA_HOME JAR
#   OUT_DIR    written from scratch (target/image-rootfs)
#   JAVA_HOME  the JDK whose jlink and jmods go into the image (the one running Maven)
#   JAR        the shaded jar (every class the image runs); jdeps scans all of it
#
# The JRE is cached: jlink runs again only when the module list, the JDK or this script changes.
set -euo pipefail

out=$1
jdk=$2
jar=$3
[[ -x "$jdk/bin/jlink" ]] || { echo "build-rootfs: no jlink in $jdk (need a JDK, not a JRE)" >&2; exit 1; }

# Every module any class in the jar refers to (not only those reachable from our code: the
# libraries load parts of themselves reflectively and through ServiceLoader), plus the ones only
# used at run time: jdk.crypto.ec (ECDHE and EC certificates for TLS to S3), jdk.naming.dns (Netty
# reads the DNS servers through JNDI when it can), jdk.management (Micrometer's process and
# OS metrics), jdk.unsupported (sun.misc.Unsafe for Netty).
modules=$("$jdk/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 17 "$jar")
extra=java.management,jdk.management,jdk.crypto.ec,jdk.naming.dns,jdk.unsupported
modules=$(tr ',' '\n' <<<"$modules,$extra" | sort -u | paste -sd, -)

jre_cache="$out.jre"
key=$( { echo "$modules"; "$jdk/bin/java" -version 2>&1; sha256sum <"$0"; } | sha256sum | cut -d' ' -f1)
if [[ ! -f "$jre_cache/.key" || "$(cat "$jre_cache/.key")" != "$key" ]]; then
  echo "build-rootfs: jlink $modules" >&2
  rm -rf "$jre_cache"
  # java.desktop is there for java.beans (Jackson, SnakeYAML, Micrometer); its native AWT and
  # sound libraries would drag X11 and font libraries in and are never loaded by a server.
  # No --generate-cds-archive: on JDK 17 the archive differs from build to build, which would
  # make the image non-reproducible.
  "$jdk/bin/jlink" --add-modules "$modules" \
    --strip-debug --no-man-pages --no-header-files --compress=2 \
    --exclude-files='glob:/java.desktop/lib/**' \
    --output "$jre_cache"
  echo "$key" >"$jre_cache/.key"
fi

rm -rf "$out"
mkdir -p "$out/opt"
cp -a "$jre_cache" "$out/opt/jre"
rm "$out/opt/jre/.key"
jre="$out/opt/jre"

# The shared libraries outside the JRE that its executables and libraries link against, and those
# the native libraries inside the jar link against (Netty's epoll transport wants libdl and librt,
# which glibc >= 2.34 keeps as stubs), at the paths the loader finds them on this machine (libc,
# libm, libz, libstdc++, libgcc_s, libdl, librt and the loader itself on Debian 12). glibc >= 2.34
# has the nss `files` and `dns` modules built in, so no libnss_* is needed for /etc/passwd and DNS.
natives="$out.native"
rm -rf "$natives" && mkdir -p "$natives"
(cd "$natives" && "$jdk/bin/jar" xf "$jar" META-INF/native/)
mapfile -t elfs < <(find "$jre/bin" "$jre/lib" "$natives" -type f \( -name '*.so' -o -perm -u+x \) | sort)
libs=$(for f in "${elfs[@]}"; do
  # other architectures and platforms answer "not a dynamic executable" and add nothing
  LD_LIBRARY_PATH="$jre/lib:$jre/lib/server" ldd "$f" 2>/dev/null || true
done | awk '
  /not found/ { print "MISSING " $1; next }
  $2 == "=>" && $3 ~ /^\// { print $3; next }
  $1 ~ /^\// { print $1 }' | sort -u)
rm -rf "$natives"
if grep -q '^MISSING' <<<"$libs"; then
  echo "build-rootfs: unresolved libraries: $(grep '^MISSING' <<<"$libs" | tr '\n' ' ')" >&2
  exit 1
fi
while read -r lib; do
  [[ -z "$lib" || "$lib" == "$jre"/* ]] && continue
  mkdir -p "$out$(dirname "$lib")"
  cp -L "$lib" "$out$lib"
done <<<"$libs"
[[ -f "$out/lib64/ld-linux-x86-64.so.2" ]] || { echo "build-rootfs: the loader was not found by ldd" >&2; exit 1; }

# The image's one user: openregistry, 65532:65532 (the uid distroless uses for nonroot). Its home
# and the default data directory is /data (storage.root ./data resolved from the working dir /).
mkdir -p "$out/etc" "$out/data" "$out/tmp"
cat >"$out/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
openregistry:x:65532:65532:openregistry:/data:/sbin/nologin
PASSWD
cat >"$out/etc/group" <<'GROUP'
root:x:0:
openregistry:x:65532:
GROUP
cat >"$out/etc/nsswitch.conf" <<'NSS'
passwd: files
group: files
hosts: files dns
NSS
# The C.UTF-8 locale (LANG in the image), so that the JVM's default charset and file-name
# encoding are UTF-8 rather than ASCII; glibc 2.36 has no built-in C.UTF-8.
if [[ -d /usr/lib/locale/C.utf8 ]]; then
  mkdir -p "$out/usr/lib/locale"
  cp -a /usr/lib/locale/C.utf8 "$out/usr/lib/locale/"
else
  echo "build-rootfs: warning: no /usr/lib/locale/C.utf8 on this machine, the JVM will default to ASCII" >&2
fi
# Java trusts the JRE's own lib/security/cacerts; the PEM bundle is for anything else in the
# image that follows the system convention (and for operators inspecting it).
if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
  mkdir -p "$out/etc/ssl/certs"
  cp -L /etc/ssl/certs/ca-certificates.crt "$out/etc/ssl/certs/ca-certificates.crt"
else
  echo "build-rootfs: warning: no /etc/ssl/certs/ca-certificates.crt on this machine, the image has no PEM bundle" >&2
fi
echo "build-rootfs: $(du -sh "$out" | cut -f1) in $out" >&2
