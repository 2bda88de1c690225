package merge

import (
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"xrt/image/ocispec"
)

// Annotation keys conversion.md derives from the image configuration.
const (
	AnnotationOS           = "org.opencontainers.image.os"
	AnnotationArchitecture = "org.opencontainers.image.architecture"
	AnnotationVariant      = "org.opencontainers.image.variant"
	AnnotationOSVersion    = "org.opencontainers.image.os.version"
	AnnotationOSFeatures   = "org.opencontainers.image.os.features"
	AnnotationAuthor       = "org.opencontainers.image.author"
	AnnotationCreated      = "org.opencontainers.image.created"
	AnnotationStopSignal   = "org.opencontainers.image.stopSignal"
	AnnotationExposedPorts = "org.opencontainers.image.exposedPorts"
)

// mergeAnnotations adds the image's labels and implicit annotations to s.
// Precedence, highest first: the spec's own annotations, the image's
// Labels, the implicit annotations (conversion.md "Annotations"). Empty
// image fields add nothing.
func mergeAnnotations(s *specs.Spec, img *ocispec.Image) {
	cfg := &img.Config
	implicit := map[string]string{
		AnnotationOS:           img.OS,
		AnnotationArchitecture: img.Architecture,
		AnnotationVariant:      img.Variant,
		AnnotationOSVersion:    img.OSVersion,
		AnnotationOSFeatures:   strings.Join(img.OSFeatures, ","),
		AnnotationAuthor:       img.Author,
		AnnotationCreated:      img.Created,
		AnnotationStopSignal:   cfg.StopSignal,
	}
	if len(cfg.ExposedPorts) > 0 {
		ports := make([]string, 0, len(cfg.ExposedPorts))
		for p := range cfg.ExposedPorts {
			ports = append(ports, p)
		}
		slices.Sort(ports)
		implicit[AnnotationExposedPorts] = strings.Join(ports, ",")
	}

	add := func(k, v string) {
		if _, ok := s.Annotations[k]; ok {
			return
		}
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		s.Annotations[k] = v
	}
	// Labels go first so that they shadow the implicit values.
	for k, v := range cfg.Labels {
		add(k, v)
	}
	for k, v := range implicit {
		if v != "" {
			add(k, v)
		}
	}
}
