/* Berth's dropbear options, on top of default_options.h (Debian's own
 * localoptions.h is the model: no sftp server on Berth, though).
 *
 * Keys only: Debian's musl has no crypt(), and a container host should not
 * accept passwords over the network anyway. */
#define DROPBEAR_SVR_PASSWORD_AUTH 0
#define DROPBEAR_SVR_PAM_AUTH 0
#define DROPBEAR_CLI_PASSWORD_AUTH 0
#define DROPBEAR_SFTPSERVER 0
#define DROPBEAR_X11FWD 0
#define DROPBEAR_DSS 0

/* Host keys live on /var, so they survive updates; the run script passes
 * -r as well, these are the fallbacks. */
#define RSA_PRIV_FILENAME "/var/lib/dropbear/dropbear_rsa_host_key"
#define ECDSA_PRIV_FILENAME "/var/lib/dropbear/dropbear_ecdsa_host_key"
#define ED25519_PRIV_FILENAME "/var/lib/dropbear/dropbear_ed25519_host_key"
#define DROPBEAR_PIDFILE "/run/dropbear.pid"

#define DEFAULT_PATH "/usr/bin:/bin"
#define DEFAULT_ROOT_PATH "/usr/sbin:/usr/bin:/sbin:/bin"
