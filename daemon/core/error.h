/**
 * @file error.h
 * @brief Text for the negative result codes (errno values and DDNS_E*).
 */
#ifndef DDNS_ERROR_H
#define DDNS_ERROR_H

/** A static string describing @p code (0, -errno or a DDNS_E* value). */
const char *ddns_strerror(int code);

#endif
