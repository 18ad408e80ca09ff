LIB_SRCS += lib/log.c lib/encode.c lib/util.c lib/buf.c lib/proc.c
UNITS += test_lib
test_lib_SRCS := tests/unit/test_lib.c
PROGS += subreaper
subreaper_SRCS := tests/lab/subreaper.c
