# Mail servers (issue 11): Debian's Dovecot 2.3 checking IMAP, POP3 and submission logins with the
# Worker through integrations/dovecot/. tools/install-dovecot installs the packages with apt-get when
# missing; tools/dovecot.mjs runs Dovecot on loopback from a temporary folder.
# Node 22's --test does not take a directory; the quoted glob is expanded by Node itself.
.PHONY: test-mail dev-mail

test-mail: build-worker ## Dovecot logins (IMAP, POP3, submission) through the Worker, Python clients
	tools/install-dovecot
	node --test --test-concurrency=1 'tests/mail/*.test.mjs'

dev-mail: bootstrap ## make dev plus Dovecot on 127.0.0.1: IMAP 1143, POP3 1110, submission 1587
	tools/install-dovecot
	@tools/dev-vars .dev.vars
	node tools/dev-mail.mjs
