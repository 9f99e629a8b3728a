/*
 * banned.h - functions we never call (git's banned.h): unbounded copies, non-reentrant
 * time conversion, and atoi's silent failure. Included into every project source file.
 */
#ifndef SW_BANNED_H
#define SW_BANNED_H

/* The system headers that declare these come first, so the macros below only catch our
 * own calls (glibc defines some of them inline). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SW_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) SW_BANNED(strcpy)
#undef strcat
#define strcat(x, y) SW_BANNED(strcat)
#undef sprintf
#define sprintf(...) SW_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) SW_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) SW_BANNED(strtok)
#undef gmtime
#define gmtime(x) SW_BANNED(gmtime)
#undef localtime
#define localtime(x) SW_BANNED(localtime)
#undef atoi
#define atoi(x) SW_BANNED(atoi)

#endif
