/* SPDX-License-Identifier: MIT */
/* sock_tcp.c over IPv6 loopback (::1): a connection to a peer outside the tree with megabytes in
 * flight both ways, a listener and options. */
#define FAMILY AF_INET6
#include "sock_tcp.c"
