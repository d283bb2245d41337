#ifndef ESTUARY_CURL_SHIMS_H
#define ESTUARY_CURL_SHIMS_H

// Typed wrappers for libcurl's variadic functions, which Swift cannot call.
// Few and boring on purpose: one per argument type.

#include <curl/curl.h>

static inline CURLcode estuary_easy_setopt_long(CURL *_Nonnull h, CURLoption o, long v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode estuary_easy_setopt_string(CURL *_Nonnull h, CURLoption o, const char *_Nullable v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode estuary_easy_setopt_pointer(CURL *_Nonnull h, CURLoption o, void *_Nullable v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode estuary_easy_setopt_off_t(CURL *_Nonnull h, CURLoption o, curl_off_t v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode estuary_easy_setopt_slist(CURL *_Nonnull h, CURLoption o, struct curl_slist *_Nullable v) {
    return curl_easy_setopt(h, o, v);
}

typedef size_t (*estuary_write_callback)(char *_Nonnull, size_t, size_t, void *_Nullable);
static inline CURLcode estuary_easy_setopt_write_function(CURL *_Nonnull h, CURLoption o, estuary_write_callback _Nullable f) {
    return curl_easy_setopt(h, o, f);
}

static inline CURLcode estuary_easy_setopt_opensocket(CURL *_Nonnull h, curl_opensocket_callback _Nullable f) {
    return curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, f);
}

static inline CURLcode estuary_easy_getinfo_long(CURL *_Nonnull h, CURLINFO i, long *_Nonnull v) {
    return curl_easy_getinfo(h, i, v);
}
static inline CURLcode estuary_easy_getinfo_string(CURL *_Nonnull h, CURLINFO i, char *_Nullable *_Nonnull v) {
    return curl_easy_getinfo(h, i, v);
}
static inline CURLcode estuary_easy_getinfo_pointer(CURL *_Nonnull h, CURLINFO i, void *_Nullable *_Nonnull v) {
    return curl_easy_getinfo(h, i, v);
}
static inline CURLcode estuary_easy_getinfo_off_t(CURL *_Nonnull h, CURLINFO i, curl_off_t *_Nonnull v) {
    return curl_easy_getinfo(h, i, v);
}

static inline CURLMcode estuary_multi_setopt_long(CURLM *_Nonnull m, CURLMoption o, long v) {
    return curl_multi_setopt(m, o, v);
}

/// CURLVERSION_NOW is a macro alias Swift does not import.
static inline curl_version_info_data *_Nonnull estuary_curl_version_info(void) {
    return curl_version_info(CURLVERSION_NOW);
}

#endif
