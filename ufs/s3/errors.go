package s3

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/halo-fs/halo/ufs"
	"github.com/minio/minio-go/v7"
)

// classify maps an S3 error response to the ufs sentinel it means, keeping
// the server's message. Errors that are already sentinels or context errors
// pass unchanged; a refused request wraps fs.ErrPermission.
func classify(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || isSentinel(err) {
		return err
	}
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == "NoSuchKey" || resp.Code == "NotFound" ||
		(resp.StatusCode == http.StatusNotFound && resp.Code != "NoSuchBucket"):
		return ufs.ErrNotFound
	case resp.Code == "NoSuchBucket":
		return fmt.Errorf("%w: bucket %q does not exist", ufs.ErrNotFound, resp.BucketName)
	case resp.Code == "PreconditionFailed" || resp.StatusCode == http.StatusPreconditionFailed:
		return ufs.ErrExists
	case resp.Code == "AccessDenied" || resp.Code == "InvalidAccessKeyId" ||
		resp.Code == "SignatureDoesNotMatch" || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%w: %v", fs.ErrPermission, err)
	}
	return err
}

func isSentinel(err error) bool {
	for _, sentinel := range []error{
		ufs.ErrNotFound, ufs.ErrExists, ufs.ErrNotEmpty, ufs.ErrNotDirectory,
		ufs.ErrIsDirectory, ufs.ErrUnsupported, ufs.ErrInvalidPath, ufs.ErrClosed,
	} {
		if errors.Is(err, sentinel) {
			return true
		}
	}
	return false
}
