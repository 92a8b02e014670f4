// libnftables (Debian libnftables-dev): nftables commands run in-process, no exec of nft.
#include <nftables/libnftables.h>
