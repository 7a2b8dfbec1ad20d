/* node/servercmds.h - handlers of the server commands (CMD_SERVER rows):
 * they run on the node that received them and may use its state. */
#ifndef POLIS_NODE_SERVERCMDS_H
#define POLIS_NODE_SERVERCMDS_H

#include "cmd/cmd.h"

cmd_proc nodecmd_ping, nodecmd_echo, nodecmd_hello, nodecmd_auth, nodecmd_quit,
    nodecmd_select, nodecmd_time, nodecmd_info, nodecmd_shutdown, nodecmd_flushall,
    nodecmd_client_id, nodecmd_client_setname, nodecmd_client_getname,
    nodecmd_client_list, nodecmd_client_info, nodecmd_client_kill, nodecmd_client_help,
    nodecmd_config_get, nodecmd_config_set, nodecmd_config_resetstat,
    nodecmd_config_rewrite, nodecmd_config_help, nodecmd_object_help, nodecmd_memory_help,
    nodecmd_readonly, nodecmd_readwrite, nodecmd_cluster_keyslot, nodecmd_cluster_help,
    nodecmd_cluster_topology;

/* cmd/command.c */
cmd_proc cmdcmd_command, cmdcmd_command_count, cmdcmd_command_info, cmdcmd_command_docs,
    cmdcmd_command_getkeys, cmdcmd_command_list, cmdcmd_command_help;

#endif
