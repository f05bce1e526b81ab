# The parts of the berth command and the parts each may use: the edges.
# A part is compiled seeing only its own headers, lib/'s and those of the
# parts it lists; scripts/part-edges.sh then checks with nm that its archive
# calls nothing defined in a part it does not list, and of a part with a
# CALLS_PART_OTHER list, only those entry points. Every part may use lib/.
# Link order is this list's: a part before the parts it uses.
BERTH_PARTS := cli update ctr registry spec compose image net
USES_cli := update ctr registry spec compose image net
# update reads container state only (is any container unhealthy?)
USES_update := ctr
CALLS_update_ctr := ctr_paths_init ctr_state_read ctr_state_alive ctr_status_name ctr_wanted
# ctr runs what compose defines: networks, the OCI spec, image layers.
# Of the image store (berth/image/use.c) it holds the store's lock, looks
# up what a definition names (one call: the image's config, manifest,
# blobs and layer directories), loads the config once every layer is
# there, and collects what nothing uses; and frees what the lookup gave
USES_ctr := net spec compose image registry
# run and create pull an image the store lacks (docker's --pull)
CALLS_ctr_registry := registry_pull
CALLS_ctr_image := image_store_open image_store_close image_lookup image_named image_config_load image_collect image_user_free image_users_free
# spec turns a compose service into an OCI config.json
USES_spec := compose
CALLS_spec_compose := compose_cap_names strv_free strv_push
# registry downloads what berth/image then loads, verifies and stores
USES_registry := image
CALLS_registry_image := image_load_layout image_has_blob image_arch layer_media_compression prelayer_unpack prelayer_commit prelayer_abort prelayer_remove prelayer_sweep
USES_compose :=
USES_image :=
USES_net :=
