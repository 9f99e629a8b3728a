// A confirmation before an action that cannot be taken back (an alertdialog).
import { Button, Dialog, Heading, Modal, ModalOverlay } from 'react-aria-components';
import { useI18n } from '../i18n/I18n';

export function ConfirmDialog(props: {
  title: string;
  body: string;
  confirm: string;
  destructive?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  return (
    <ModalOverlay className="overlay" isOpen isDismissable onOpenChange={(open) => !open && props.onCancel()}>
      <Modal className="modal">
        <Dialog role="alertdialog" className="dialog">
          <Heading slot="title">{props.title}</Heading>
          <p>{props.body}</p>
          <div className="dialog-buttons">
            <Button className="btn btn-secondary" onPress={props.onCancel} autoFocus>
              {t('action.cancel')}
            </Button>
            <Button className={props.destructive ? 'btn btn-negative' : 'btn btn-cta'} onPress={props.onConfirm}>
              {props.confirm}
            </Button>
          </div>
        </Dialog>
      </Modal>
    </ModalOverlay>
  );
}
