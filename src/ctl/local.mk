bin_PROGRAMS += tollgatectl
tollgatectl_SOURCES = src/ctl/tollgatectl.c src/ctl/ctl.h src/ctl/base.c \
	src/ctl/relay_cmds.c src/ctl/portal_cmds.c src/ctl/partner_cmds.c
tollgatectl_LDADD = libtollgate.la $(TG_LIBS)
