/*
 * maildir.h - the file outbox behind smtp_url = maildir:DIR: each email message is written
 * into a Maildir (DIR/tmp, DIR/new, DIR/cur) that a mail client opens as a mailbox
 * (`mutt -f DIR`), instead of being handed to an SMTP server. smtp.c selects it by the
 * scheme, so the delivery activity drives it through the same sw_smtp_* calls.
 *
 * Delivery follows the Maildir specification (cr.yp.to/proto/maildir.html): the message is
 * written to tmp/ under a unique name (time.MusecPpidQn.host), fsync'ed, then renamed into
 * new/, and new/ itself is fsync'ed before the message is reported sent. So a message is
 * `sent` only once its complete file is in new/ and the rename is durable; a failure leaves
 * nothing in tmp/. The file holds exactly the bytes the SMTP path would send (CRLF line
 * ends, no dot-stuffing), which Maildir readers (mutt, Dovecot, Python's mailbox) accept.
 */
#ifndef SW_MAILDIR_H
#define SW_MAILDIR_H

#include "channels/smtp.h"

#define SW_MAILDIR_SCHEME "maildir:"

struct sw_maildir;

/* dir: the Maildir's path (absolute or relative to the working directory). Creates dir and
 * its tmp/, new/ and cur/ when absent (mode 0700) and checks that a file can be written in
 * tmp/. capacity: how many messages may be written before sw_maildir_poll collects them
 * (the "connections" of the SMTP sender). SW_EINVAL or SW_EIO naming the path on failure. */
int sw_maildir_open(const char *dir, int capacity, struct sw_maildir **out,
                    struct sw_error *err);
void sw_maildir_close(struct sw_maildir *m); /* accepts NULL */
int sw_maildir_idle(const struct sw_maildir *m);
int sw_maildir_in_flight(const struct sw_maildir *m);
/* Write msg into tmp/ and rename it into new/: 0 (its outcome is set; it is returned by the
 * next sw_maildir_poll), or -1 when capacity messages wait for sw_maildir_poll. A write
 * that fails (disk full, directory removed) is temporary with code 0, the error naming the
 * file, and leaves nothing behind. */
int sw_maildir_submit(struct sw_maildir *m, struct sw_smtp_msg *msg);
/* Make the renames since the last poll durable (fsync of new/) and return up to max of
 * those messages. A failing fsync makes them unknown: their files are in new/ but might
 * not survive a crash, so they must not be resent automatically. Never waits. */
size_t sw_maildir_poll(struct sw_maildir *m, struct sw_smtp_msg **done, size_t max);
/* The path of the file of the last message written (for tests), or "" */
const char *sw_maildir_last_path(const struct sw_maildir *m);

#endif
