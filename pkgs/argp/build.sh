# shellcheck shell=sh
# argp: musl lacks it and Debian has no argp-standalone; gnulib's argp
# module, built as a one-module library, serves crun.
./gnulib-tool --create-testdir --without-tests --dir=argp-build argp >/dev/null
cd argp-build || exit 1
./configure --host="$HOST" --prefix=/usr CC="$CC" >/dev/null
make -j"$JOBS" -C gllib
install -Dm644 gllib/libgnu.a "$DESTDIR/usr/lib/libargp.a"
# argp.h expects macros that gnulib's config.h defines: give them to users
{
	printf '%s\n' '/* Berth: macros gnulib'"'"'s config.h would define (see pkgs/argp) */' \
		'#ifndef _GL_ATTRIBUTE_FORMAT' \
		'# define _GL_ATTRIBUTE_FORMAT(spec) __attribute__ ((__format__ spec))' \
		'#endif' \
		'#ifndef _GL_ATTRIBUTE_SPEC_PRINTF_STANDARD' \
		'# define _GL_ATTRIBUTE_SPEC_PRINTF_STANDARD __printf__' \
		'# define _GL_ATTRIBUTE_SPEC_PRINTF_SYSTEM __printf__' \
		'#endif' \
		'#ifndef _GL_INLINE' \
		'# define _GL_INLINE static inline' \
		'#endif' \
		'#ifndef _GL_INLINE_HEADER_BEGIN' \
		'# define _GL_INLINE_HEADER_BEGIN' \
		'# define _GL_INLINE_HEADER_END' \
		'#endif'
	cat gllib/argp.h
} >argp.h.berth
install -Dm644 argp.h.berth "$DESTDIR/usr/include/argp.h"
