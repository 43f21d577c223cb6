/* Check helpers for the security programs: tests/integration/check.h
 * (one line per check, every errno by name), with the GNU extensions the
 * escape attempts use. */
#ifndef SABOT_SEC_H
#define SABOT_SEC_H

#define _GNU_SOURCE
#include "../integration/check.h"

#endif
