#ifndef MPOWER_SERVER_NOTIFY_CURL_HANDLE_H_
#define MPOWER_SERVER_NOTIFY_CURL_HANDLE_H_

// What the webhook and email senders share of libcurl.

#include <curl/curl.h>

#include <string>

#include "server/notify/target_policy.h"

namespace mpower {

// Initializes libcurl once per process, before any thread uses it.
void InitCurlOnce();

// Makes `handle` refuse to connect to any address `policy` forbids,
// whatever name resolved to it, writing why into `*refusal`. Both must
// outlive the transfer.
void RefuseForbiddenAddresses(CURL* handle, const TargetPolicy* policy, std::string* refusal);

// Collects at most `limit` bytes of an answer into `*into`, and ends the
// transfer if more come (a receiver cannot make mpowerd read forever).
void BoundAnswer(CURL* handle, std::string* into, size_t limit);

}  // namespace mpower

#endif  // MPOWER_SERVER_NOTIFY_CURL_HANDLE_H_
