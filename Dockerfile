# imgaudit as a container image.
#
#   make image                       # builds imgaudit:latest from the wheel and its wheelhouse
#   docker run --rm -v "$PWD:/work:ro" imgaudit:latest scan /work/disk.qcow2
#
# The build context is a directory holding this file and wheels/ (the imgaudit wheel plus the
# wheels of its dependencies and of pip): nothing is fetched from PyPI while building. BASE is
# any Debian root with apt; one that already has python3 and libarchive13 needs no apt either.
ARG BASE=debian:bookworm-slim

FROM ${BASE} AS runtime
# Python 3 and the system libarchive, found the way libarchive-c finds it (ldconfig's cache)
RUN if ! python3 -c 'import ctypes.util, sys; sys.exit(not ctypes.util.find_library("archive"))' \
        2>/dev/null; then \
      apt-get update \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
           python3 libarchive13 \
      && rm -rf /var/lib/apt/lists/*; \
    fi

FROM runtime AS build
COPY wheels/ /wheels/
# pip runs from its wheel: neither the image nor the venv keeps it
RUN set -- /wheels/pip-*.whl \
    && python3 -m venv --without-pip /opt/imgaudit \
    && /opt/imgaudit/bin/python "$1/pip" install --no-index --no-cache-dir --find-links /wheels \
         imgaudit

FROM runtime
COPY --from=build /opt/imgaudit /opt/imgaudit
# An unprivileged user; add the Docker socket's group (--group-add) to scan docker: images
RUN echo 'imgaudit:x:10001:10001:imgaudit:/work:/usr/sbin/nologin' >> /etc/passwd \
    && echo 'imgaudit:x:10001:' >> /etc/group
ENV PATH=/opt/imgaudit/bin:$PATH
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["imgaudit"]
CMD ["--help"]
